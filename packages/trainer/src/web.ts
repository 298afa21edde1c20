import * as ort from 'onnxruntime-web';
import type { LossOptions, ModelLike, Optimizer, OptimizerName } from '@onnxpipe/graph-builder';
import { createLoadModel, ortBackend } from '@onnxpipe/runtime';
import { createPredict, Trainer, type ProgressOutput, type TrainerOptions } from './core/index.js';

export * from './core/index.js';

/** onnxruntime-web (wasm by default, `device: 'webgpu'` on request). */
const backend = ortBackend(ort, { cpuProvider: 'wasm' });

/** A trainer on onnxruntime-web; no progress output unless given one. */
export function trainer(
  model: ModelLike,
  loss: LossOptions['loss'],
  optimizer: OptimizerName | Optimizer,
  options?: TrainerOptions & { readonly output?: ProgressOutput },
): Trainer {
  return new Trainer({ backend, output: options?.output }, model, loss, optimizer, options);
}

export const predict = createPredict(createLoadModel(backend));
