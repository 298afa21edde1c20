#!/usr/bin/env node
// The bin is this committed file, not dist/bin.js, so that `pnpm install` can link it before the first build.
import '../dist/bin.js';
