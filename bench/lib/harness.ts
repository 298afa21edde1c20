/**
 * The benchmark harness: run contenders in turn (repetitions interleaved so that a busy
 * machine slows everyone alike), take medians, check every contender against one
 * reference run, and print the table.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { ModelState } from '@onnxpipe/graph-builder';
import { cnn, cnnTiny, type CnnWorkload } from './cnn.js';
import type { Api, Backend } from './tfjs.js';
import { mlp, xor, type Workload } from './workloads.js';

export interface RunOutput {
  /** Loss of every step, as the contender reported it. */
  readonly losses: Float64Array;
  /** Parameters after the last step. */
  readonly params: ModelState;
  /** Milliseconds of the run spent before the first step. */
  readonly setupMs: number;
}

export type Group = 'onnxpipe' | 'profile' | 'tfjs' | 'plain' | 'device';

/** What the harness needs of a workload. */
export interface Timed {
  readonly name: string;
  /** Steps of a full-length run. */
  readonly steps: number;
  readonly flopsPerStep: number;
  /** Whether the table shows GFLOP/s (not for XOR, whose steps are too small for it to mean anything). */
  readonly gflopsColumn: boolean;
  /** The float64 loss of final parameters on the workload's fixed evaluation batch: one scorer for every contender. */
  readonly evaluate: (params: ModelState) => number;
}

export interface Contender {
  readonly id: string;
  readonly label: string;
  readonly group: Group;
  /** TF.js contenders: the backend and implementation, among which selectContenders times the fastest per backend. */
  readonly tfjs?: { readonly backend: Backend; readonly api: Api };
  /** Untimed, before every run (select a TF.js backend, …). */
  readonly prepare?: () => Promise<void>;
  /** Train `steps` steps from the workload's initial parameters on its batches. */
  readonly run: (steps: number) => Promise<RunOutput>;
}

export interface Measurement {
  readonly steps: number;
  readonly totalMs: number;
  readonly setupMs: number;
}

export interface Check {
  readonly contender: string;
  readonly what: string;
  readonly value: number;
  readonly reference: number;
  readonly relDiff: number;
  readonly tolerance: number;
  readonly pass: boolean;
}

export interface Tolerances {
  /** Per-step losses of steps 1..11 (the loss at the initial parameters and after 1..10 updates). */
  readonly early: number;
  /** The final parameters' loss on the fixed evaluation batch. */
  readonly final: number;
}

export interface Reference {
  readonly label: string;
  /** Per-step losses and final eval loss of the reference after `steps` steps. */
  readonly at: (steps: number) => Promise<{ losses: Float64Array; evalLoss: number }>;
}

export interface ContenderResult {
  readonly id: string;
  readonly label: string;
  readonly group: Group;
  readonly runs: readonly Measurement[];
  /** Median over the runs. */
  readonly msPerStep: number;
  /** Median total of the full-length runs, or msPerStep × the workload's steps when none ran full length. */
  readonly totalMs: number;
  readonly projected: boolean;
  readonly setupMs: number;
  readonly stepsPerSecond: number;
  readonly gflops: number;
  /** The final loss on the evaluation batch and the mean of the last 100 training losses (first run). */
  readonly evalLoss: number;
  readonly lastLosses: number;
  readonly steps: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/** The largest of 10, 20, 50, 100, 200, 500, … that fits `budgetMs` at `msPerStep`, at least `min`, at most `max`. */
export function stepsWithin(budgetMs: number, msPerStep: number, min: number, max: number): number {
  const fit = budgetMs / msPerStep;
  if (fit >= max) return max;
  let best = min;
  for (let p = 10; p <= max; p *= 10) for (const m of [1, 2, 5]) if (m * p <= fit && m * p > best) best = m * p;
  return Math.min(best, max);
}

/** Time one run; errors propagate. */
export async function measure(c: Contender, steps: number): Promise<{ output: RunOutput; m: Measurement }> {
  await c.prepare?.();
  const start = performance.now();
  const output = await c.run(steps);
  const totalMs = performance.now() - start;
  if (output.losses.length !== steps) throw new Error(`${c.label}: reported ${output.losses.length} losses for ${steps} steps`);
  return { output, m: { steps, totalMs, setupMs: output.setupMs } };
}

/** Compare one run with the reference: losses of steps 1..11 and the final eval loss. */
export async function gate(w: Timed, c: Contender, output: RunOutput, reference: Reference, tol: Tolerances): Promise<{ checks: Check[]; evalLoss: number }> {
  const steps = output.losses.length;
  const ref = await reference.at(steps);
  const checks: Check[] = [];
  let worst = { i: 0, d: -1 };
  for (let i = 0; i < Math.min(11, steps); i++) {
    const d = relDiff(output.losses[i]!, ref.losses[i]!);
    if (!(d <= worst.d)) worst = { i, d: Number.isNaN(d) ? Infinity : d };
  }
  const i = worst.i;
  checks.push({ contender: c.id, what: `loss at step ${i + 1} (worst of steps 1-${Math.min(11, steps)})`, value: output.losses[i]!, reference: ref.losses[i]!, relDiff: worst.d, tolerance: tol.early, pass: worst.d <= tol.early });
  const evalLoss = w.evaluate(output.params);
  const d = relDiff(evalLoss, ref.evalLoss);
  checks.push({ contender: c.id, what: `eval loss of the final parameters after ${steps} steps`, value: evalLoss, reference: ref.evalLoss, relDiff: d, tolerance: tol.final, pass: d <= tol.final });
  return { checks, evalLoss };
}

export function summarize(w: Timed, c: Contender, runs: readonly Measurement[], first: RunOutput, evalLoss: number): ContenderResult {
  const msPerStep = median(runs.map((r) => r.totalMs / r.steps));
  const full = runs.filter((r) => r.steps === w.steps);
  const projected = full.length === 0;
  const tail = first.losses.subarray(Math.max(0, first.losses.length - 100));
  return {
    id: c.id,
    label: c.label,
    group: c.group,
    runs,
    msPerStep,
    totalMs: projected ? msPerStep * w.steps : median(full.map((r) => r.totalMs)),
    projected,
    setupMs: median(runs.map((r) => r.setupMs)),
    stepsPerSecond: 1000 / msPerStep,
    gflops: w.flopsPerStep / (msPerStep * 1e6),
    evalLoss,
    lastLosses: tail.reduce((a, b) => a + b, 0) / tail.length,
    steps: w.steps,
  };
}

export interface Ratio {
  /** Column heading. */
  readonly label: string;
  /** The contender whose ms/step is divided by each row's: > 1 means the row is faster. */
  readonly baseline: string | undefined;
}

const fmt = (x: number, digits = 3): string => {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  return x.toPrecision(digits);
};

/** A plain-text table; `*` marks totals projected from fewer steps. */
export function table(w: Timed, results: readonly ContenderResult[], ratios: readonly Ratio[], marks: Readonly<Record<string, string>> = {}): string {
  const byId = new Map(results.map((r) => [r.id, r]));
  const head = ['contender', 'steps timed', 'setup ms', 'ms total', 'ms/step', 'steps/s', ...ratios.map((r) => r.label), ...(w.gflopsColumn ? ['GFLOP/s'] : [])];
  const rows = results.map((r) => {
    const timed = [...new Set(r.runs.map((m) => m.steps))].join('/');
    return [
      `${r.label}${marks[r.id] ? ` ${marks[r.id]}` : ''}`,
      `${timed} x${r.runs.length}`,
      fmt(r.setupMs),
      `${fmt(r.totalMs)}${r.projected ? '*' : ''}`,
      fmt(r.msPerStep),
      fmt(r.stepsPerSecond),
      ...ratios.map((q) => {
        const base = q.baseline === undefined ? undefined : byId.get(q.baseline);
        return base ? `${fmt(base.msPerStep / r.msPerStep)}x` : '-';
      }),
      ...(w.gflopsColumn ? [fmt(r.gflops)] : []),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** A short run of each contender (which also warms it up): ms per step, the best of `tries(c)` runs. */
export async function calibrate(contenders: readonly Contender[], steps: number, tries: (c: Contender) => number = () => 1): Promise<Map<string, number>> {
  const perStep = new Map<string, number>();
  for (const c of contenders) {
    let best = Infinity;
    for (let i = 0; i < tries(c); i++) best = Math.min(best, (await measure(c, steps)).m.totalMs / steps);
    perStep.set(c.id, best);
  }
  return perStep;
}

export interface StepPlan {
  /** Steps of the first run (the full workload unless that would exceed the run budget). */
  readonly first: number;
  /** Steps of later runs. */
  readonly later: number;
}

/** The fewest steps a shortened run may have. */
export interface MinSteps {
  readonly first: number;
  readonly later: number;
}

/** Full-length runs where they fit `maxRunMs`; slower contenders get fewer steps (by default the first run at least 20, later ones at least 10). */
export function planSteps(w: Pick<Timed, 'steps'>, contenders: readonly Contender[], perStep: ReadonlyMap<string, number>, maxRunMs: number, repRunMs: number, min: MinSteps = { first: 20, later: 10 }): Map<string, StepPlan> {
  const plan = new Map<string, StepPlan>();
  for (const c of contenders) {
    const ms = perStep.get(c.id);
    if (ms === undefined) {
      plan.set(c.id, { first: w.steps, later: w.steps });
      continue;
    }
    const first = ms * w.steps <= maxRunMs ? w.steps : stepsWithin(maxRunMs, ms, min.first, w.steps);
    const later = ms * w.steps <= repRunMs ? w.steps : stepsWithin(repRunMs, ms, min.later, w.steps);
    plan.set(c.id, { first, later });
    if (first < w.steps) console.log(`${c.label}: ~${ms.toPrecision(3)} ms/step, ${w.steps} steps would take ~${((ms * w.steps) / 1000).toFixed(0)} s: timed on ${first} steps, then ${later}`);
  }
  return plan;
}

/** One workload's part of the benchmark's output. */
export interface WorkloadReport {
  readonly workload: { readonly name: string; readonly title: string; readonly steps: number; readonly batch: number };
  readonly flopsPerStep: number;
  readonly reference: string;
  readonly tfjsChoice: TfjsChoice;
  readonly results: ContenderResult[];
  readonly checks: Check[];
  readonly targets: { what: string; value: number; goal: number; met: boolean }[];
  readonly seconds: number;
}

export type TfjsChoice = Record<string, { chosen: Api; calibration: Record<string, number> }>;

/** The TF.js implementations a quick run keeps per backend: each implementation and each backend at least once. */
const quickApis: Readonly<Record<Backend, readonly Api[]>> = { cpu: ['custom'], wasm: ['layers', 'manual'] };

/**
 * The contenders to time and their step counts. Quick runs: the TF.js implementations of
 * quickApis (the custom loop on cpu; the layers API and, where the workload has it, the
 * hand-derived gradients on wasm), full lengths. Full runs: a short calibration run of each
 * contender (which also warms it up) keeps the fastest TF.js implementation per backend and
 * shortens the runs of slow contenders (planSteps).
 */
export async function selectContenders(
  w: Pick<Timed, 'steps'>,
  contenders: readonly Contender[],
  o: {
    readonly quick: boolean;
    readonly calibSteps: number;
    readonly maxRunMs: number;
    readonly repRunMs: number;
    /** Calibration runs per TF.js contender, the best one counting (default 2). */
    readonly tfjsTries?: number;
    readonly minSteps?: MinSteps;
  },
): Promise<{ contenders: Contender[]; plan: Map<string, StepPlan>; tfjsChoice: TfjsChoice }> {
  if (o.quick) return { contenders: contenders.filter((c) => !c.tfjs || quickApis[c.tfjs.backend].includes(c.tfjs.api)), plan: new Map(), tfjsChoice: {} };
  let kept = [...contenders];
  const tfjsChoice: TfjsChoice = {};
  const perStep = await calibrate(kept, o.calibSteps, (c) => (c.tfjs ? (o.tfjsTries ?? 2) : 1));
  for (const backend of ['cpu', 'wasm'] as const) {
    const candidates = kept.filter((c) => c.tfjs?.backend === backend);
    if (candidates.length === 0) continue;
    const fastest = candidates.reduce((a, b) => (perStep.get(b.id)! < perStep.get(a.id)! ? b : a));
    tfjsChoice[backend] = { chosen: fastest.tfjs!.api, calibration: Object.fromEntries(candidates.map((c) => [`${c.tfjs!.api} ms/step`, perStep.get(c.id)!])) };
    console.log(`TF.js ${backend}: ${candidates.map((c) => `${c.label} ${perStep.get(c.id)!.toPrecision(3)}`).join(', ')} ms/step over ${o.calibSteps} steps -> timing ${fastest.label}`);
    kept = kept.filter((c) => c.tfjs?.backend !== backend || c === fastest);
  }
  return { contenders: kept, plan: planSteps(w, kept, perStep, o.maxRunMs, o.repRunMs, o.minSteps), tfjsChoice };
}

export interface TimingOptions {
  readonly reps: number;
  readonly plan: ReadonlyMap<string, StepPlan>;
  readonly reference: Reference;
  readonly tolerances: (c: Contender) => Tolerances;
}

/** `reps` rounds over all contenders (interleaved), every run gated against the reference. */
export async function timeContenders(w: Timed, contenders: readonly Contender[], o: TimingOptions): Promise<{ results: ContenderResult[]; checks: Check[] }> {
  const runs = new Map<string, Measurement[]>(contenders.map((c) => [c.id, []]));
  const first = new Map<string, { output: RunOutput; evalLoss: number }>();
  const checks: Check[] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    for (const c of contenders) {
      const p = o.plan.get(c.id) ?? { first: w.steps, later: w.steps };
      const { output, m } = await measure(c, rep === 0 ? p.first : p.later);
      runs.get(c.id)!.push(m);
      const g = await gate(w, c, output, o.reference, o.tolerances(c));
      checks.push(...g.checks.map((k) => ({ ...k, what: `run ${rep + 1}: ${k.what}` })));
      if (rep === 0) first.set(c.id, { output, evalLoss: g.evalLoss });
      const bad = g.checks.filter((k) => !k.pass);
      console.log(`run ${rep + 1} ${c.label}: ${m.steps} steps in ${m.totalMs.toFixed(0)} ms (${(m.totalMs / m.steps).toPrecision(3)} ms/step)${bad.length ? '  GATE FAILED' : ''}`);
      if (bad.length) printChecks(bad);
    }
  }
  const results = contenders.map((c) => summarize(w, c, runs.get(c.id)!, first.get(c.id)!.output, first.get(c.id)!.evalLoss));
  return { results, checks };
}

/** The reference for the gates from a run function (the float64 CNN's, or onnxpipe's trainer for the full CNN: cnn-bench.ts), called untimed and cached at each step count asked for. */
export function cachedReference(w: Timed, label: string, run: (steps: number) => Promise<RunOutput>): Reference {
  const cache = new Map<number, Promise<{ losses: Float64Array; evalLoss: number }>>();
  return {
    label,
    at: (steps) => {
      let r = cache.get(steps);
      if (!r) {
        r = run(steps).then((o) => ({ losses: o.losses, evalLoss: w.evaluate(o.params) }));
        cache.set(steps, r);
      }
      return r;
    },
  };
}

export function machine(): Record<string, unknown> {
  return { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavg: loadavg().map((x) => Number(x.toFixed(2))) };
}

export function printChecks(checks: readonly Check[]): void {
  for (const c of checks) {
    console.log(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.contender}: ${c.what}: ${c.value.toPrecision(8)} vs ${c.reference.toPrecision(8)} (rel ${c.relDiff.toExponential(2)}, tol ${c.tolerance})`);
  }
}

export interface BenchArgs {
  readonly quick: boolean;
  readonly reps: number;
  readonly maxRunMs: number;
  /** --only; undefined for every workload. */
  readonly only: string | undefined;
  readonly out: string | undefined;
  /** The dense workloads to run: full length, or a few steps with --quick. */
  readonly workloads: Workload[];
  /** The convolutional ones (when asked for): the tiny CNN gated against the float64 reference, and the full CNN except with --quick. */
  readonly cnnWorkloads: CnnWorkload[];
}

/** The command line the training benchmarks share: --quick, --reps N, --only xor|mlp[|cnn], --max-run-s S, --out FILE. */
export function benchArgs(options: { readonly cnn?: boolean } = {}): BenchArgs {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      only: { type: 'string' },
      'max-run-s': { type: 'string', default: '60' },
      out: { type: 'string' },
    },
  });
  const quick = args.quick === true;
  const reps = quick ? 1 : Number(args.reps ?? 3);
  const maxRunMs = Number(args['max-run-s']) * 1000;
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${args.reps}`);
  if (!(maxRunMs > 0)) throw new Error(`--max-run-s must be a positive number, got ${args['max-run-s']}`);
  const names = ['xor', 'mlp', ...(options.cnn ? ['cnn'] : [])];
  if (args.only !== undefined && !names.includes(args.only)) throw new Error(`--only must be ${names.join(', ').replace(/, (\w+)$/, ' or $1')}, got ${args.only}`);
  const wanted = (name: string) => args.only === undefined || args.only === name;
  const workloads = [xor(quick ? 300 : 10_000), mlp(quick ? 11 : 200)].filter((w) => wanted(w.name));
  const cnnWorkloads = options.cnn && wanted('cnn') ? (quick ? [cnnTiny(11)] : [cnnTiny(30), cnn(100)]) : [];
  return { quick, reps, maxRunMs, only: args.only, out: args.out, workloads, cnnWorkloads };
}
