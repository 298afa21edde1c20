import type { LoopState } from './types.js';
import type { Trainer } from './trainer.js';

export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY: boolean;
}

export interface ProgressOptions {
  /** Also print a line every this many iterations (off a terminal). 0: only epoch lines. */
  readonly every?: number;
  /** Redraw the live bar at most this often (ms). */
  readonly refreshMs?: number;
}

const BAR_WIDTH = 24;

function describe(s: LoopState): string {
  return Object.entries(s.metrics)
    .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
    .join(' ');
}

function position(s: LoopState): string {
  const total = Number.isFinite(s.iterationsPerEpoch) ? `/${s.iterationsPerEpoch}` : '';
  return `Epoch: ${s.epoch + 1}/${s.epochs}, Batch: ${s.iteration + 1}${total}`;
}

function bar(s: LoopState): string {
  if (!Number.isFinite(s.iterationsPerEpoch)) return '';
  const done = Math.round(((s.iteration + 1) / s.iterationsPerEpoch) * BAR_WIDTH);
  return `[${'='.repeat(done)}${' '.repeat(BAR_WIDTH - done)}] `;
}

/**
 * Progress output: on a terminal a live bar with the loss and metrics, redrawn in place;
 * elsewhere one plain line per epoch (and every `every` iterations when asked).
 */
export function progressLog(output: ProgressOutput, options: ProgressOptions = {}) {
  const every = options.every ?? 0;
  const refreshMs = options.refreshMs ?? 100;
  return (t: Trainer): void => {
    let lastDraw = 0;
    t.on('iterationCompleted', (s) => {
      if (output.isTTY) {
        const now = Date.now();
        if (now - lastDraw < refreshMs) return;
        lastDraw = now;
        output.write(`\r${bar(s)}${position(s)} ${describe(s)}\x1b[K`);
      } else if (every > 0 && (s.iteration + 1) % every === 0) {
        output.write(`${position(s)} ${describe(s)}\n`);
      }
    });
    t.on('epochCompleted', (s) => {
      output.write(output.isTTY ? `\r${bar(s)}${position(s)} ${describe(s)}\x1b[K\n` : `${position(s)} ${describe(s)}\n`);
    });
  };
}
