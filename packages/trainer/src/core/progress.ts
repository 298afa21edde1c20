import { formatSeconds, formatValue } from './format.js';
import type { LoopState } from './types.js';
import type { Trainer } from './trainer.js';

export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Width of the terminal; the live bar is fitted to it. Default 80. */
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Also print a line every this many iterations (off a terminal). 0: only epoch lines. */
  readonly every?: number;
  /** Redraw the live bar at most this often (ms). */
  readonly refreshMs?: number;
  /** A clock in milliseconds (for tests). Default `performance.now`. */
  readonly now?: () => number;
}

const MAX_BAR = 30;
const MIN_BAR = 10;

function metricItems(s: LoopState): string[] {
  return Object.entries(s.metrics).map(([k, v]) => `${k}: ${formatValue(v)}`);
}

function position(s: LoopState): string {
  const total = Number.isFinite(s.iterationsPerEpoch) ? `/${s.iterationsPerEpoch}` : '';
  return `Epoch: ${s.epoch + 1}/${s.epochs}, Batch: ${s.iteration + 1}${total}`;
}

function bar(s: LoopState, width: number): string {
  const done = Math.min(width, Math.round(((s.iteration + 1) / s.iterationsPerEpoch) * width));
  const head = done < width && done > 0 ? '>' : '';
  return `[${'='.repeat(done - head.length)}${head}${' '.repeat(width - done)}]`;
}

/** Steps per second, or nothing before any time has passed. */
function rate(steps: number, seconds: number): string[] {
  if (!(seconds > 0)) return [];
  const perSecond = steps / seconds;
  return [`${perSecond >= 100 ? Math.round(perSecond) : perSecond.toPrecision(3)} steps/s`];
}

/**
 * The live line, at most `max` characters: `Epoch: 2/10 [====>    ] 500/1000 1234 steps/s
 * ETA 4.20 s loss: 0.04492 accuracy: 1.000`, the bar taking the room left (10 to 30). When
 * that is too long the bar goes first, then the metrics after the loss, then speed and time.
 */
function liveLine(s: LoopState, timing: readonly string[], max: number): string {
  const metrics = metricItems(s);
  const extras = [...timing];
  const epoch = `Epoch: ${s.epoch + 1}/${s.epochs}`;
  const batch = `${s.iteration + 1}${Number.isFinite(s.iterationsPerEpoch) ? `/${s.iterationsPerEpoch}` : ''}`;
  const line = (bar: string) => [epoch, bar, batch, ...extras, ...metrics].filter((part) => part !== '').join(' ');
  const withBar = Number.isFinite(s.iterationsPerEpoch);
  for (;;) {
    const room = max - line('').length - 3; // the brackets and a space
    if (withBar && room >= MIN_BAR) return line(bar(s, Math.min(MAX_BAR, room)));
    const plain = line('');
    if (plain.length <= max) return plain;
    if (metrics.length > 1) metrics.pop();
    else if (extras.length > 0) extras.shift();
    else return plain.slice(0, max);
  }
}

/**
 * Progress output: on a terminal a live bar with speed, ETA, the loss and metrics, redrawn in
 * place and fitted to the terminal width; elsewhere one plain line per epoch with its time
 * (and every `every` iterations when asked).
 */
export function progressLog(output: ProgressOutput, options: ProgressOptions = {}) {
  const every = options.every ?? 0;
  const refreshMs = options.refreshMs ?? 100;
  const now = options.now ?? (() => performance.now());
  // A line exactly as wide as the terminal would wrap on some terminals: keep one column free.
  const width = () => Math.max(20, (output.columns ?? 80) - 1);
  return (t: Trainer): void => {
    let lastDraw = -Infinity;
    let epochStart = 0;
    t.on('epochStarted', () => {
      epochStart = now();
    });
    t.on('iterationCompleted', (s) => {
      if (output.isTTY) {
        const time = now();
        if (time - lastDraw < refreshMs) return;
        lastDraw = time;
        const seconds = (time - epochStart) / 1000;
        const done = s.iteration + 1;
        const timing = rate(done, seconds);
        if (Number.isFinite(s.iterationsPerEpoch)) timing.push(`ETA ${formatSeconds(((s.iterationsPerEpoch - done) * seconds) / done)}`);
        output.write(`\r${liveLine(s, timing, width())}\x1b[K`);
      } else if (every > 0 && (s.iteration + 1) % every === 0) {
        output.write(`${position(s)} ${metricItems(s).join(' ')}\n`);
      }
    });
    t.on('epochCompleted', (s) => {
      const seconds = (now() - epochStart) / 1000;
      if (output.isTTY) {
        const timing = [...rate(s.iteration + 1, seconds), formatSeconds(seconds)];
        output.write(`\r${liveLine(s, timing, width())}\x1b[K\n`);
      } else {
        output.write(`${position(s)} (${formatSeconds(seconds)}) ${metricItems(s).join(' ')}\n`);
      }
    });
  };
}
