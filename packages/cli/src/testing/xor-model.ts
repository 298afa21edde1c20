import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportInference, initParams, type ModelState } from '@onnxpipe/graph-builder';
import { xorModel as xorNetwork } from '../../../../models/xor.js';
import { float64Params, xorProbability } from '../../../graph-builder/src/testing/xor-reference.js';

export interface XorModel {
  bytes: Uint8Array;
  state: ModelState;
}

/** The guide's XOR network (models/xor.ts) with parameters from `seed`, exported for inference. */
export function xorModel(seed = 1): XorModel {
  const net = xorNetwork();
  const state = initParams(net, { seed });
  return { bytes: exportInference(net, state), state };
}

/** The network computed by hand from its parameters: graph-builder's float64 XOR reference. */
export const xorByHand = (state: ModelState, x1: number, x2: number): number => xorProbability(float64Params(state), x1, x2);

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
