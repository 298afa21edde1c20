import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// The training benchmark's smoke mode: every contender (onnxpipe with its defaults and pinned,
// TF.js cpu and wasm, the hand-written loop) trains both workloads a few steps from the same
// parameters, and the bench exits 1 unless their losses agree with the float64 hand-written
// reference. Timings are printed but not checked here.
it('bench/train.ts --quick: all contenders compute the reference losses', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', 'bench/train.ts', '--quick'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  expect(stdout).toMatch(/^all correctness gates passed$/m);
  expect(stdout).not.toMatch(/^\s+FAIL\b/m);
}, 240_000);
