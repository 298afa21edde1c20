import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportInference, initParams, input, type ModelState } from '@onnxpipe/graph-builder';

/** The XOR network of the guide: x1, x2 → concatenate → dense(8, tanh) → dense(1, sigmoid), output 'dense_1'. */
export function xorNetwork() {
  return input('x1', { shape: [null, 1] })
    .concatenate(input('x2', { shape: [null, 1] }))
    .dense(8, { activation: 'tanh' })
    .dense(1, { activation: 'sigmoid' });
}

export interface XorModel {
  bytes: Uint8Array;
  state: ModelState;
}

export function xorModel(seed = 1): XorModel {
  const net = xorNetwork();
  const state = initParams(net, { seed });
  return { bytes: exportInference(net, state), state };
}

/** The network computed by hand from its parameters (kernels are [in, out], row-major). */
export function xorByHand(state: ModelState, x1: number, x2: number): number {
  const k0 = state['dense_0.kernel']!.data;
  const b0 = state['dense_0.bias']!.data;
  const k1 = state['dense_1.kernel']!.data;
  const b1 = state['dense_1.bias']!.data;
  let z = b1[0]!;
  for (let j = 0; j < 8; j++) z += Math.tanh(x1 * k0[j]! + x2 * k0[8 + j]! + b0[j]!) * k1[j]!;
  return 1 / (1 + Math.exp(-z));
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'onnxpipe-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes the XOR model to `dir/xor.onnx` and returns its path and parameters. */
export async function writeXorModel(dir: string, seed = 1): Promise<{ path: string; state: ModelState }> {
  const { bytes, state } = xorModel(seed);
  const path = join(dir, 'xor.onnx');
  await writeFile(path, bytes);
  return { path, state };
}
