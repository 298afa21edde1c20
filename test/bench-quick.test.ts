import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { haveChromium } from '../web/harness.js';

const bench = (script: string) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', script, '--quick'], { maxBuffer: 16 * 1024 * 1024 });

// The training benchmark's smoke mode: every contender (onnxpipe with the trainer's defaults and
// pinned, TF.js cpu and wasm, the hand-written loop) trains each workload a few steps from the
// same parameters, and the bench exits 1 unless their losses agree with the workload's float64
// reference (the hand-written loop in float64 for XOR and the MLP, the float64 CNN for the tiny
// CNN). Timings are printed but not checked here.
it('bench/train.ts --quick: all contenders compute the float64 reference losses', async () => {
  const { stdout } = await bench('bench/train.ts');
  expect(stdout).toMatch(/^## XOR guide.*\n.*reference for the gates: hand-written loop in float64/m);
  expect(stdout).toMatch(/^## MLP.*\n.*reference for the gates: hand-written loop in float64/m);
  expect(stdout).toMatch(/^## tiny CNN: .*\n.*reference for the gates: the hand-written float64 CNN/m);
  // the headline rows say what the defaults chose (XOR's step is small: one thread; the MLP and the tiny CNN run 11 steps)
  expect(stdout).toMatch(/^\| onnxpipe, trainer defaults \(K=128, 1 thread\) +\| +300 x1 \|/m);
  expect(stdout.match(/^\| onnxpipe, trainer defaults \(K=11, \d+ threads?\) +\| +11 x1 \|/gm)).toHaveLength(2);
  expect(stdout.match(/^\| onnxpipe 1 run per step \(K=1\), 1 thread \(pinned\) +\|/gm)).toHaveLength(3);
  // the honest TF.js opponent of the dense workloads, and TF.js wasm on the CNN
  expect(stdout).toMatch(/^\| TF\.js wasm \(gradients by hand, explicit transposes\) +\| +11 x1 \|/m);
  expect(stdout).toMatch(/^\| TF\.js wasm \(layers API, trainOnBatch, conv3d\) +\| +11 x1 \|/m);
  expect(stdout).toMatch(/^all correctness gates passed$/m);
  expect(stdout).not.toMatch(/^\s+FAIL\b/m);
}, 240_000);

// The MNIST MLP benchmark's smoke mode: a few steps in Node with the trainer's defaults and pinned,
// timed and gated through the harness against the float64 network, and one epoch of the MNIST
// page's training in chromium (when it is installed).
it('bench/mnist-mlp.ts --quick: Node runs gated against the float64 network, the page trains in chromium', async () => {
  const { stdout } = await bench('bench/mnist-mlp.ts');
  expect(stdout).toMatch(/^## Node: 11 steps, .*reference for the gates: the hand-written float64 network/m);
  // the summary table next to the page's rows: steps/s and images/s
  expect(stdout).toMatch(/^\| Node, onnxruntime-node cpu, trainer defaults \(K=11, \d+ threads?\) \| 11 x1 \| [\d.]+ \| \d+ \|$/m);
  expect(stdout.match(/^\| Node, onnxruntime-node cpu, K=(1|16|128), 1 thread \(pinned\) \| 11 x1 \| [\d.]+ \| \d+ \|$/gm)).toHaveLength(3);
  expect(stdout).toMatch(/^gates: 8\/8 passed/m);
  if (haveChromium) expect(stdout).toMatch(/^\| Chromium, the MNIST page, onnxruntime-web wasm \(1 thread\), K=16 \| 94 x1 \| [\d.]+ \|/m);
  else expect(stdout).toMatch(/^Chromium: skipped/m);
  expect(stdout).toMatch(/^all correctness gates passed$/m);
}, 240_000);
