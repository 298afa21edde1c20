import type { Checkpoint } from './checkpoint-format.js';
import { formatValue } from './format.js';
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
  /**
   * End the run on the state of the best epoch (parameters, optimizer state, step), not the
   * last: `run` and `fit` return it and a checkpoint handler saves it. Default false.
   */
  readonly restoreBest?: boolean;
}

/**
 * Halt the loop when `monitor` has not improved for `patience` epochs, saying so in one line.
 * With `restoreBest`, the best epoch's state is restored when it halts or after the last epoch.
 */
export function earlyStop(options: EarlyStopOptions = {}): TrainerPlugin {
  const monitor = options.monitor ?? 'validation_loss';
  const patience = options.patience ?? 3;
  const mode = options.mode ?? 'min';
  const minDelta = options.minDelta ?? 0;
  const restoreBest = options.restoreBest ?? false;
  if (!Number.isInteger(patience) || patience < 1) throw new Error(`earlyStop: patience must be a positive integer, got ${JSON.stringify(options.patience)}`);
  if (mode !== 'min' && mode !== 'max') throw new Error(`earlyStop: mode must be 'min' or 'max', got ${JSON.stringify(options.mode)}`);
  if (typeof minDelta !== 'number' || !(minDelta >= 0 && Number.isFinite(minDelta))) throw new Error(`earlyStop: minDelta must be a finite number ≥ 0, got ${JSON.stringify(options.minDelta)}`);
  if (typeof restoreBest !== 'boolean') throw new Error(`earlyStop: restoreBest must be true or false, got ${JSON.stringify(options.restoreBest)}`);
  return (t: Trainer) => {
    let best: { value: number; epoch: number; state: Checkpoint | undefined } | undefined;
    let waited = 0;
    t.on('started', () => {
      best = undefined;
      waited = 0;
    });
    t.on('epochCompleted', async (s) => {
      const value = s.metrics[monitor];
      if (value === undefined) {
        throw new Error(`earlyStop: metric '${monitor}' is not computed; available: ${Object.keys(s.metrics).join(', ')}`);
      }
      const improved = best === undefined ? !Number.isNaN(value) : mode === 'min' ? value < best.value - minDelta : value > best.value + minDelta;
      if (improved) {
        best = { value, epoch: s.epoch, state: restoreBest ? await s.checkpoint() : undefined };
        waited = 0;
      } else {
        waited++;
      }
      const stopping = waited >= patience;
      const restoring = best?.state !== undefined && best.epoch !== s.epoch && (stopping || s.epoch + 1 >= s.epochs);
      if (restoring) await s.restore(best!.state!);
      const restored = restoring ? `; the state of epoch ${best!.epoch + 1} is restored` : '';
      if (stopping) {
        const bestText = best === undefined ? '' : ` on ${formatValue(best.value)} (epoch ${best.epoch + 1})`;
        t.print(`earlyStop: stopped after epoch ${s.epoch + 1}: ${monitor} has not improved${bestText} for ${waited} epochs (patience ${patience}, mode ${mode}, minDelta ${minDelta})${restored}`);
      } else if (restoring) {
        t.print(`earlyStop: ${monitor} was best at epoch ${best!.epoch + 1} (${formatValue(best!.value)})${restored}`);
      }
      return stopping ? 'halt_loop' : 'continue';
    });
  };
}
