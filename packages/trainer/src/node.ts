import { readFile } from 'node:fs/promises';
import type { LossOptions, ModelLike, Optimizer, OptimizerName } from '@onnxpipe/graph-builder';
import { backend, loadModel } from '@onnxpipe/runtime';
import { createPredict, deserializeCheckpoint, saveCheckpoints, Trainer, type Checkpoint, type TrainerOptions, type TrainerPlugin } from './core/index.js';
import { writeFileDurably } from './durable-write.js';

export * from './core/index.js';

/** A trainer on onnxruntime-node; progress goes to stdout. */
export function trainer(model: ModelLike, loss: LossOptions['loss'], optimizer: OptimizerName | Optimizer, options?: TrainerOptions): Trainer {
  const output = {
    write: (text: string) => void process.stdout.write(text),
    isTTY: process.stdout.isTTY === true,
    get columns() {
      return process.stdout.columns;
    },
  };
  return new Trainer({ backend, output }, model, loss, optimizer, options);
}

export const predict = createPredict(loadModel);

export interface CheckpointOptions {
  /** The checkpoint file (JSON). */
  readonly path: string;
  /** Write every this many epochs. Default 1. */
  readonly every?: number;
}

/** Write a checkpoint file atomically and durably (see writeFileDurably) every `every` epochs (see saveCheckpoints). */
export function checkpoint(options: CheckpointOptions): TrainerPlugin {
  if (typeof options.path !== 'string' || options.path.length === 0) throw new Error('checkpoint: path must be a file path');
  return saveCheckpoints({ save: (bytes) => writeFileDurably(options.path, bytes), ...(options.every === undefined ? {} : { every: options.every }) }, 'checkpoint');
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return deserializeCheckpoint(await readFile(path), `checkpoint ${path}`);
}
