import { serializeCheckpoint, type Checkpoint } from './checkpoint-format.js';
import type { LoopState } from './types.js';
import type { TrainerPlugin } from './trainer.js';

export interface SaveCheckpointsOptions {
  /** Receives every checkpoint as bytes (`serializeCheckpoint`) and as an object: write a file, offer a download, put it in IndexedDB. */
  readonly save: (bytes: Uint8Array, checkpoint: Checkpoint) => void | Promise<void>;
  /** Save at the end of every this many epochs (epochs, not batches). Default 1. */
  readonly every?: number;
}

/**
 * Save a checkpoint every `every` epochs through `save`, platform-free. A state restored by a
 * handler (earlyStop's `restoreBest`) is saved once more when the run completes, so the last
 * checkpoint saved is the state the run returns.
 */
export function saveCheckpoints(options: SaveCheckpointsOptions, where = 'saveCheckpoints'): TrainerPlugin {
  const every = options.every ?? 1;
  if (typeof options.save !== 'function') throw new Error(`${where}: save must be a function of the checkpoint bytes`);
  if (!Number.isInteger(every) || every < 1) throw new Error(`${where}: every must be a positive integer, got ${JSON.stringify(options.every)}`);
  const write = async (s: LoopState) => {
    const c = await s.checkpoint();
    await options.save(serializeCheckpoint(c), c);
  };
  return (t) => {
    t.on('epochCompleted', async (s) => {
      if ((s.epoch + 1) % every === 0) await write(s);
    });
    t.on('completed', async (s) => {
      if (s.restoredEpoch !== undefined) await write(s);
    });
  };
}
