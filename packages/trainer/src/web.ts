import * as ort from 'onnxruntime-web';
import { loadModel } from '@onnxpipe/runtime';
import type { LossOptions, ModelLike, Optimizer, OptimizerName } from '@onnxpipe/graph-builder';
import { createPredict, Trainer, type ProgressOutput, type TrainerOptions } from './core/index.js';

export * from './core/index.js';

/** A trainer on onnxruntime-web (wasm by default, `device: 'webgpu'` on request); no progress output unless given one. */
export function trainer(
  model: ModelLike,
  loss: LossOptions['loss'],
  optimizer: OptimizerName | Optimizer,
  options?: TrainerOptions & { readonly output?: ProgressOutput },
): Trainer {
  return new Trainer({ ort, cpuProvider: 'wasm', output: options?.output }, model, loss, optimizer, options);
}

export const predict = createPredict(loadModel);
