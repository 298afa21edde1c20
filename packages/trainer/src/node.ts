import { readFile, rename, writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { loadModel } from '@onnxpipe/runtime';
import type { LossOptions, ModelLike, Optimizer, OptimizerName } from '@onnxpipe/graph-builder';
import { checkpointFromJSON, checkpointToJSON, createPredict, Trainer, type Checkpoint, type TrainerOptions, type TrainerPlugin } from './core/index.js';

export * from './core/index.js';

/** A trainer on onnxruntime-node; progress goes to stdout. */
export function trainer(model: ModelLike, loss: LossOptions['loss'], optimizer: OptimizerName | Optimizer, options?: TrainerOptions): Trainer {
  return new Trainer({ ort, cpuProvider: 'cpu', output: { write: (t) => process.stdout.write(t), isTTY: process.stdout.isTTY === true } }, model, loss, optimizer, options);
}

export const predict = createPredict(loadModel);

export interface CheckpointOptions {
  /** The checkpoint file (JSON). */
  readonly path: string;
  /** Write every this many epochs. Default 1. */
  readonly every?: number;
}

/** Write a checkpoint atomically (temporary file, then rename) every `every` epochs. */
export function checkpoint(options: CheckpointOptions): TrainerPlugin {
  const every = options.every ?? 1;
  if (typeof options.path !== 'string' || options.path.length === 0) throw new Error('checkpoint: path must be a file path');
  if (!Number.isInteger(every) || every < 1) throw new Error(`checkpoint: every must be a positive integer, got ${JSON.stringify(options.every)}`);
  return (t) => {
    t.on('epochCompleted', async (s) => {
      if ((s.epoch + 1) % every !== 0) return;
      const c: Checkpoint = { format: 'onnxpipe-checkpoint', version: 1, epoch: s.epoch + 1, step: s.step, params: await s.params(), optimizer: await s.optimizerState() };
      const temp = `${options.path}.${process.pid}.tmp`;
      await writeFile(temp, checkpointToJSON(c));
      await rename(temp, options.path);
    });
  };
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return checkpointFromJSON(await readFile(path, 'utf8'), `checkpoint ${path}`);
}
