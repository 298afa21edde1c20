#!/usr/bin/env node
process.exitCode = await (await import('./cli.js')).main(process.argv.slice(2));
