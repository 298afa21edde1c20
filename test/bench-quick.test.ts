import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { haveChromium } from '../web/harness.js';

const bench = (script: string) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', script, '--quick'], { maxBuffer: 16 * 1024 * 1024 });

// The training benchmark's smoke mode: every contender (onnxpipe fused and per step, TF.js cpu
// and wasm, the hand-written loop) trains each workload a few steps from the same parameters,
// and the bench exits 1 unless their losses agree (the tiny CNN's with the float64 network's).
// Timings are printed but not checked here.
it('bench/train.ts --quick: all contenders compute the same losses', async () => {
  const { stdout } = await bench('bench/train.ts');
  expect(stdout).toMatch(/^## XOR guide/m);
  expect(stdout).toMatch(/^## MLP/m);
  expect(stdout).toMatch(/^## tiny CNN: .*\n.*reference for the gates: the hand-written float64 CNN/m);
  expect(stdout).toMatch(/^\| TF\.js wasm \(layers API, trainOnBatch, conv3d\) +\| +11 x1 \|/m);
  expect(stdout).toMatch(/^all correctness gates passed$/m);
  expect(stdout).not.toMatch(/^\s+FAIL\b/m);
}, 240_000);

// The MNIST MLP benchmark's smoke mode: a few steps in Node for each K, gated against the float64
// network, and one epoch of the MNIST page's training in chromium (when it is installed).
it('bench/mnist-mlp.ts --quick: Node steps gated, the page trains in chromium', async () => {
  const { stdout } = await bench('bench/mnist-mlp.ts');
  expect(stdout.match(/^run 1 Node, .*: [\d.]+ steps\/s; losses of steps 1-11 within .* of the float64 network ok$/gm)).toHaveLength(4);
  if (haveChromium) expect(stdout).toMatch(/^\| Chromium, the MNIST page, onnxruntime-web wasm \(1 thread\), K=16 \| 94 x1 \| [\d.]+ \|/m);
  else expect(stdout).toMatch(/^Chromium: skipped/m);
  expect(stdout).toMatch(/^all correctness gates passed$/m);
}, 240_000);
