import type { Trainer, TrainerPlugin } from './trainer.js';

export interface EarlyStopOptions {
  /** A metric of the epoch: 'loss', 'accuracy', 'validation_loss', …. Default 'validation_loss'. */
  readonly monitor?: string;
  /** Epochs without improvement before the loop halts. Default 3. */
  readonly patience?: number;
  /** 'min' for losses (default), 'max' for accuracies. */
  readonly mode?: 'min' | 'max';
  /** Smallest change that counts as an improvement. Default 0. */
  readonly minDelta?: number;
}

/** Halt the loop when `monitor` has not improved for `patience` epochs. */
export function earlyStop(options: EarlyStopOptions = {}): TrainerPlugin {
  const monitor = options.monitor ?? 'validation_loss';
  const patience = options.patience ?? 3;
  const mode = options.mode ?? 'min';
  const minDelta = options.minDelta ?? 0;
  if (!Number.isInteger(patience) || patience < 1) throw new Error(`earlyStop: patience must be a positive integer, got ${JSON.stringify(options.patience)}`);
  if (mode !== 'min' && mode !== 'max') throw new Error(`earlyStop: mode must be 'min' or 'max', got ${JSON.stringify(options.mode)}`);
  return (t: Trainer) => {
    let best = mode === 'min' ? Infinity : -Infinity;
    let waited = 0;
    t.on('started', () => {
      best = mode === 'min' ? Infinity : -Infinity;
      waited = 0;
    });
    t.on('epochCompleted', (s) => {
      const value = s.metrics[monitor];
      if (value === undefined) {
        throw new Error(`earlyStop: metric '${monitor}' is not computed; available: ${Object.keys(s.metrics).join(', ')}`);
      }
      const improved = mode === 'min' ? value < best - minDelta : value > best + minDelta;
      if (improved) {
        best = value;
        waited = 0;
        return 'continue';
      }
      waited++;
      return waited >= patience ? 'halt_loop' : 'continue';
    });
  };
}
