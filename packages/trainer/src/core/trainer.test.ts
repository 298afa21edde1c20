import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '@onnxpipe/runtime';
import { adam, initParams, input, model, sgd, type ModelState } from '@onnxpipe/graph-builder';
import {
  BatchError,
  checkpoint,
  DeviceError,
  earlyStop,
  loadCheckpoint,
  metrics,
  NonFiniteLossError,
  predict,
  Trainer,
  trainer,
  type Batch,
  type EventName,
  type LoopState,
  type ProgressOutput,
  type TrainerOptions,
} from '../node.js';
import { float64Params, xorBatch, xorBatches, xorEvaluate, xorModel, xorProbability, xorSgdStep, type XorColumns } from '../testing/fixtures.js';

/*
 * The trainer on onnxruntime-node, checked against a hand-written float64 XOR network
 * (concat → dense(8, tanh) → dense(1, sigmoid), BCE from logits mean(softplus(z) − y·z),
 * gradients by hand with plain loops in graph-builder's testing/xor-reference.ts; nothing here
 * calls the builder's math). The model is float32, so comparisons with the reference allow 1e-5.
 */

// ---------------------------------------------------------------------------------------------
// Model, data and the float64 reference (testing/fixtures.ts).

const fixed = (count: number, size = 8, from = 0): XorColumns[] => Array.from({ length: count }, (_, i) => xorBatch(size, 100 + from + i));

/** The `{ data, dims }` form of a batch. */
const typed = (b: XorColumns): Batch => {
  const dims = [b.y.length, 1];
  return [{ x1: { data: b.x1, dims }, x2: { data: b.x2, dims } }, { data: b.y, dims }];
};

const column = (a: ArrayLike<number>) => Array.from(a, (v) => [v]);
const nested = (b: XorColumns): Batch => [{ x1: column(b.x1), x2: column(b.x2) }, column(b.y)];

const K0 = 'dense_0.kernel';
const B0 = 'dense_0.bias';
const K1 = 'dense_1.kernel';
const B1 = 'dense_1.bias';
type Params = Record<string, Float64Array>;

/** Largest absolute difference between two states with the same keys. */
function maxDiff(a: ModelState, b: ModelState): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let d = 0;
  for (const k of Object.keys(a)) {
    expect(a[k]!.dims).toEqual(b[k]!.dims);
    a[k]!.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - b[k]!.data[i]!))));
  }
  return d;
}

const allFinite = (s: ModelState) => Object.values(s).every((t) => t.data.every(Number.isFinite));

const quiet = (options: TrainerOptions = {}): TrainerOptions => ({ seed: 3, log: 0, ...options });

// ---------------------------------------------------------------------------------------------

describe('trainer on onnxruntime-node', () => {
  it('trains XOR to truth-table accuracy 1.0 (the guide, 2000 steps)', async () => {
    const m = xorModel();
    const epochAccuracy: number[] = [];
    const state = await trainer(m, 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet({ seed: 42 }))
      .metric('accuracy')
      .on('epochCompleted', (s) => void epochAccuracy.push(s.metrics.accuracy!))
      .run(xorBatches(32, 7) as Iterable<Batch>, {}, { epochs: 2, iterations: 1000 });
    const pairs = [[0, 0], [0, 1], [1, 0], [1, 1]] as const;
    const p = await predict(m, state, { x1: pairs.map(([a]) => [a]), x2: pairs.map(([, b]) => [b]) });
    expect(p.dims).toEqual([4, 1]);
    pairs.forEach(([a, b], i) => expect(Math.abs(p.data[i] as number - (a ^ b))).toBeLessThan(0.1));
    expect(epochAccuracy).toHaveLength(2);
    expect(epochAccuracy[1]).toBeGreaterThan(0.99);
  });

  describe('equals a hand-written SGD', () => {
    const N = 20;
    const lr = 0.5;
    const batches = fixed(N);

    function reference(steps: readonly XorColumns[]): { params: Params; losses: number[] } {
      const params = float64Params(initParams(xorModel(), { seed: 3 }));
      return { params, losses: steps.map((b) => xorSgdStep(params, b, lr)) };
    }

    for (const stepsPerRun of [1, 7]) {
      it(`after ${N} steps with stepsPerRun ${stepsPerRun}`, async () => {
        const losses: number[] = [];
        const state = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: lr }), quiet())
          .on('iterationCompleted', (s) => void losses.push(s.loss))
          .run(batches.map(typed), {}, { stepsPerRun });
        const ref = reference(batches);
        expect(maxDiff(state, Object.fromEntries(Object.entries(ref.params).map(([k, v]) => [k, { data: v, dims: state[k]!.dims }])))).toBeLessThan(1e-5);
        expect(losses).toHaveLength(N);
        losses.forEach((l, i) => expect(Math.abs(l - ref.losses[i]!)).toBeLessThan(1e-5));
      });
    }

    it('a source that refills the same buffers for every batch (stepsPerRun 7, with an accuracy metric)', async () => {
      const rows = batches[0]!.y.length;
      const buffers = { x1: new Float32Array(rows), x2: new Float32Array(rows), y: new Float32Array(rows) };
      const dims = [rows, 1];
      function* refilled(): Generator<Batch> {
        for (const b of batches) {
          buffers.x1.set(b.x1);
          buffers.x2.set(b.x2);
          buffers.y.set(b.y);
          yield [{ x1: { data: buffers.x1, dims }, x2: { data: buffers.x2, dims } }, { data: buffers.y, dims }];
        }
      }
      const accuracies: number[] = [];
      const state = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: lr }), quiet())
        .metric('accuracy')
        .on('epochCompleted', (s) => void accuracies.push(s.metrics.accuracy!))
        .run(refilled(), {}, { stepsPerRun: 7 });
      const ref = reference(batches);
      expect(maxDiff(state, Object.fromEntries(Object.entries(ref.params).map(([k, v]) => [k, { data: v, dims: state[k]!.dims }])))).toBeLessThan(1e-5);
      const copied = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: lr }), quiet())
        .metric('accuracy')
        .on('epochCompleted', (s) => void accuracies.push(s.metrics.accuracy!))
        .run(batches.map(typed), {}, { stepsPerRun: 7 });
      expect(maxDiff(state, copied)).toBe(0);
      expect(accuracies).toHaveLength(2);
      expect(accuracies[0]).toBeGreaterThan(0);
      expect(accuracies[0]).toBe(accuracies[1]);
    });

    it('across epochs (2 × 10 batches, stepsPerRun 7) and from a given ModelState', async () => {
      const ten = batches.slice(0, 10);
      const start = initParams(xorModel(), { seed: 11 });
      const state = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: lr }), quiet())
        .run(ten.map(typed), start, { epochs: 2, stepsPerRun: 7 });
      const params = float64Params(start);
      for (const b of [...ten, ...ten]) xorSgdStep(params, b, lr);
      for (const k of Object.keys(state)) state[k]!.data.forEach((v, i) => expect(Math.abs(v - params[k]![i]!)).toBeLessThan(1e-5));
    });
  });

  describe('data forms', () => {
    const batches = fixed(6, 4);
    let baseline: ModelState;
    const train = (data: Parameters<Trainer['run']>[0], options: TrainerOptions = {}) =>
      trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet(options)).run(data, {}, { stepsPerRun: 4 });

    beforeAll(async () => {
      baseline = await train(batches.map(typed));
    });

    const forms: [string, () => Parameters<Trainer['run']>[0], TrainerOptions?][] = [
      ['nested number arrays', () => batches.map(nested)],
      ['{ data, dims } with Float64Array and number[] data', () =>
        batches.map((b): Batch => [{ x1: { data: Float64Array.from(b.x1), dims: [4, 1] }, x2: { data: Array.from(b.x2), dims: [4, 1] } }, { data: Float64Array.from(b.y), dims: [4, 1] }])],
      ['onnxruntime Tensors', () =>
        batches.map((b): Batch => [{ x1: new ort.Tensor('float32', b.x1, [4, 1]), x2: new ort.Tensor('float32', b.x2, [4, 1]) }, new ort.Tensor('float32', b.y, [4, 1])])],
      ['integer targets (Int32Array) fed to a float target', () => batches.map((b): Batch => [typed(b)[0], { data: Int32Array.from(b.y), dims: [4, 1] }])],
      ['integer 0/1 targets with targetDType int32', () => batches.map((b): Batch => [typed(b)[0], column(b.y)]), { targetDType: 'int32' }],
      ['boolean targets', () => batches.map((b): Batch => [typed(b)[0], Array.from(b.y, (v) => [v === 1])])],
      ['boolean targets with targetDType bool', () => batches.map((b): Batch => [typed(b)[0], Array.from(b.y, (v) => [v === 1])]), { targetDType: 'bool' }],
      ['an async generator', () =>
        (async function* () {
          for (const b of batches) {
            await Promise.resolve();
            yield typed(b);
          }
        })()],
      ['a one-shot generator', () => (function* () { for (const b of batches) yield nested(b); })()],
      ['a Set', () => new Set(batches.map(typed))],
    ];
    for (const [name, data, options] of forms) {
      it(name, async () => {
        expect(maxDiff(await train(data(), options), baseline)).toBeLessThanOrEqual(1e-7);
      });
    }

    it('a one-shot generator continues across epochs; an array (re-iterable) restarts', async () => {
      const source = fixed(8, 4).map(typed);
      const seen: number[] = [];
      const spy = function* () {
        for (let i = 0; i < source.length; i++) {
          seen.push(i);
          yield source[i]!;
        }
      };
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      await t.run(spy(), {}, { epochs: 2, iterations: 3 });
      expect(seen).toEqual([0, 1, 2, 3, 4, 5]);

      seen.length = 0;
      await t.run({ [Symbol.iterator]: spy }, {}, { epochs: 2, iterations: 3 });
      expect(seen).toEqual([0, 1, 2, 0, 1, 2]);

      // Without `iterations` a one-shot generator is used up by the first epoch.
      seen.length = 0;
      const perEpoch: number[] = [];
      await t.on('epochCompleted', (s) => void perEpoch.push(s.iteration + 1)).run(spy(), {}, { epochs: 2 });
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(perEpoch).toEqual([8, 0]);
    });

    it('rejects data that is not iterable and bad run options', async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      await expect(t.run(42 as never)).rejects.toThrow(/data must be an iterable or async iterable of \[inputs, target\] batches, got number/);
      await expect(t.run([], {}, { epochs: 0 })).rejects.toThrow(/run: epochs must be a positive integer, got 0/);
      await expect(t.run([], {}, { stepsPerRun: 1.5 })).rejects.toThrow(/run: stepsPerRun must be a positive integer/);
      await expect(t.run([], null as never)).rejects.toThrow(/run: init must be \{\}/);
      await expect(t.run([], { [K0]: { data: new Float32Array(3), dims: [3] } })).rejects.toThrow(/run: parameter 'dense_0.kernel' has dims \[3\], expected \[2, 8\]/);
    });
  });

  describe('events', () => {
    const data = fixed(6, 4).map(typed);

    function recorder(t: Trainer): string[] {
      const log: string[] = [];
      for (const e of ['started', 'epochStarted', 'iterationCompleted', 'epochCompleted', 'halted', 'completed'] as EventName[]) {
        t.on(e, (s) => void log.push(e === 'iterationCompleted' ? `i${s.epoch}.${s.iteration}` : e));
      }
      return log;
    }

    it('fire in order with the right counts', async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      const log = recorder(t);
      await t.run(data, {}, { epochs: 2, iterations: 3, stepsPerRun: 2 });
      expect(log).toEqual(['started', 'epochStarted', 'i0.0', 'i0.1', 'i0.2', 'epochCompleted', 'epochStarted', 'i1.0', 'i1.1', 'i1.2', 'epochCompleted', 'completed']);
    });

    it("'halt_epoch' ends the epoch and the next one still runs", async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      const log = recorder(t);
      t.on('iterationCompleted', (s) => (s.iteration === 1 ? 'halt_epoch' : 'continue'));
      const state = await t.run(data, {}, { epochs: 2, stepsPerRun: 1 });
      expect(log).toEqual(['started', 'epochStarted', 'i0.0', 'i0.1', 'epochCompleted', 'epochStarted', 'i1.0', 'i1.1', 'epochCompleted', 'completed']);
      // Same parameters as two epochs of the first two batches.
      const two = await trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).run(data.slice(0, 2), {}, { epochs: 2, stepsPerRun: 1 });
      expect(maxDiff(state, two)).toBe(0);
    });

    it("'halt_epoch' from epochStarted skips that epoch", async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      const log = recorder(t);
      t.on('epochStarted', (s) => (s.epoch === 0 ? 'halt_epoch' : undefined));
      await t.run(data, {}, { epochs: 2, iterations: 1 });
      expect(log).toEqual(['started', 'epochStarted', 'epochCompleted', 'epochStarted', 'i1.0', 'epochCompleted', 'completed']);
    });

    it("'halt_loop' ends the run and fires 'halted'; with stepsPerRun > 1 at the end of the run", async () => {
      for (const [stepsPerRun, seen] of [[1, 2], [4, 4]] as const) {
        const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
        const log = recorder(t);
        t.on('iterationCompleted', (s) => (s.iteration === 1 ? 'halt_loop' : 'continue'));
        const state = await t.run(data, {}, { epochs: 3, stepsPerRun });
        const iterations = Array.from({ length: seen }, (_, i) => `i0.${i}`);
        expect(log).toEqual(['started', 'epochStarted', ...iterations, 'epochCompleted', 'halted', 'completed']);
        const prefix = await trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).run(data.slice(0, seen), {}, { stepsPerRun });
        expect(maxDiff(state, prefix)).toBe(0);
      }
    });

    it("'halt_loop' from epochCompleted stops after that epoch", async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      const log = recorder(t);
      t.on('epochCompleted', () => 'halt_loop');
      await t.run(data, {}, { epochs: 3, iterations: 1 });
      expect(log).toEqual(['started', 'epochStarted', 'i0.0', 'epochCompleted', 'halted', 'completed']);
    });

    it('LoopState: epoch, iteration, step, loss, metrics.loss (running mean), metrics.accuracy, params', async () => {
      const states: LoopState[] = [];
      const params: ModelState[] = [];
      await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet())
        .metric('accuracy')
        .on('iterationCompleted', async (s) => {
          states.push(s);
          params.push(await s.params());
        })
        .run(data, {}, { epochs: 2, iterations: 3, stepsPerRun: 2 });
      expect(states.map((s) => [s.epoch, s.iteration, s.step])).toEqual([[0, 0, 1], [0, 1, 2], [0, 2, 3], [1, 0, 4], [1, 1, 5], [1, 2, 6]]);
      for (const s of states) {
        expect(s.epochs).toBe(2);
        expect(s.iterationsPerEpoch).toBe(3);
        expect(Number.isFinite(s.loss) && s.loss > 0).toBe(true);
        expect(s.metrics.accuracy).toBeGreaterThanOrEqual(0);
        expect(s.metrics.accuracy).toBeLessThanOrEqual(1);
        const epochLosses = states.filter((o) => o.epoch === s.epoch && o.iteration <= s.iteration).map((o) => o.loss);
        expect(s.metrics.loss).toBeCloseTo(epochLosses.reduce((a, b) => a + b) / epochLosses.length, 6);
      }
      // Within a fused run, every iteration sees the parameters at the end of the run.
      expect(maxDiff(params[0]!, params[1]!)).toBe(0);
      expect(maxDiff(params[1]!, params[2]!)).toBeGreaterThan(0);
    });

    it('runs the handlers of an event in order, each after the last one settled (a promise or another thenable); the strongest result wins', async () => {
      const log: string[] = [];
      const at = (s: LoopState) => `${s.epoch}.${s.iteration}`;
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet())
        .on('iterationCompleted', async (s) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          log.push(`a${at(s)}`);
          return s.epoch === 1 ? 'halt_loop' : undefined;
        })
        .on('iterationCompleted', (s) => {
          const thenable = { then: (resolve: (r: string) => void) => (log.push(`b${at(s)}`), resolve(s.epoch === 0 ? 'halt_epoch' : 'continue')) };
          return thenable as unknown as Promise<'halt_epoch' | 'continue'>;
        })
        .on('iterationCompleted', (s) => void log.push(`c${at(s)}`))
        .on('halted', () => void log.push('halted'));
      await t.run(data, {}, { epochs: 3, stepsPerRun: 1 });
      expect(log).toEqual(['a0.0', 'b0.0', 'c0.0', 'a1.0', 'b1.0', 'c1.0', 'halted']);
    });

    it('a handler that throws, or whose promise rejects, ends the run with its error', async () => {
      const run = (handler: () => unknown) => trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).on('iterationCompleted', handler as never).run(data);
      await expect(run(() => {
        throw new Error('thrown by a handler');
      })).rejects.toThrow(/^thrown by a handler$/);
      await expect(run(() => Promise.reject(new Error('rejected by a handler')))).rejects.toThrow(/^rejected by a handler$/);
    });

    it('rejects unknown events and non-function handlers', () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      expect(() => t.on('finished' as EventName, () => {})).toThrow(/on: unknown event "finished"; expected one of started, epochStarted/);
      expect(() => t.on('started', 42 as never)).toThrow(/on\('started'\): the handler must be a function/);
    });
  });

  describe('a non-finite loss', () => {
    const batches = fixed(8, 4, 1).map(typed);

    for (const stepsPerRun of [1, 2]) {
      it(`throws NonFiniteLossError with the last parameters known to give a finite loss (stepsPerRun ${stepsPerRun})`, async () => {
        const events: string[] = [];
        const error = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 1e38 }), quiet())
          .on('halted', () => void events.push('halted'))
          .on('completed', () => void events.push('completed'))
          .run(batches, {}, { stepsPerRun })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NonFiniteLossError);
        const e = error as NonFiniteLossError;
        // With lr 1e38 the loss on these batches is finite for two steps and not at the third
        // (step 3): the parameters after step 2 give the bad loss, those after step 1 the last
        // finite one.
        // Step 3 opens a run: with 2 steps per run the last run's start (step 0) is returned.
        const goodStep = stepsPerRun === 1 ? 1 : 0;
        expect(e.message).toMatch(new RegExp(`^loss became (NaN|-?Infinity) at epoch 1, batch 3 \\(step 3\\); the state returned is from step ${goodStep}$`));
        expect(events).toEqual(['halted']);
        expect(allFinite(e.state)).toBe(true);
        const expected =
          goodStep === 0
            ? initParams(xorModel(), { seed: 3 })
            : await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 1e38 }), quiet()).run(batches.slice(0, goodStep), {}, { stepsPerRun });
        expect(maxDiff(e.state, expected)).toBe(0);
      });
    }
  });

  describe('bad batches', () => {
    const good = fixed(3, 4).map(typed);
    const [x, y] = nested(xorBatch(4, 7)) as [{ x1: number[][]; x2: number[][] }, number[][]];
    type Typed = { data: Float32Array; dims: number[] };
    const [tx, ty] = typed(xorBatch(4, 7)) as [{ x1: Typed; x2: Typed }, Typed];
    const cases: [string, unknown, RegExp][] = [
      ['missing input', [{ x1: x.x1 }, y], /^epoch 1, batch 4: missing input 'x2'; the model expects inputs: x1, x2$/],
      ['unknown input', [{ ...x, x3: x.x1 }, y], /^epoch 1, batch 4: unknown input 'x3'/],
      ['wrong width', [{ ...x, x1: x.x1.map((r) => [r[0]!, 0]) }, y], /^epoch 1, batch 4: input 'x1': expected shape \[batch, 1\], got \[4, 2\]$/],
      ['wrong rank', [{ ...x, x2: x.x2.map((r) => r[0]!) }, y], /^epoch 1, batch 4: input 'x2': expected shape \[batch, 1\], got \[4\] \(rank 2, got rank 1\)$/],
      ['ragged arrays', [{ ...x, x1: [[0], [1, 1], [0], [1]] }, y], /^epoch 1, batch 4: input 'x1' is ragged: row 1 has 2 values, row 0 has 1$/],
      ['a string value', [{ ...x, x1: [[0], ['1'], [0], [1]] }, y], /^epoch 1, batch 4: input 'x1': value at \[1, 0\] is a string \("1"\), expected a number$/],
      ['NaN in inputs', [{ ...x, x2: [[0], [1], [NaN], [1]] }, y], /^epoch 1, batch 4: input 'x2' has NaN at flat index 2; expected finite numbers$/],
      ['Infinity in inputs', [{ ...x, x1: [[0], [-Infinity], [1], [1]] }, y], /^epoch 1, batch 4: input 'x1' has -Infinity at flat index 1; expected finite numbers$/],
      ['NaN in the target', [x, [[0], [1], [1], [NaN]]], /^epoch 1, batch 4: input 'target' has NaN at flat index 3; expected finite numbers$/],
      ['batch sizes differing between inputs', [{ ...x, x2: x.x2.slice(1) }, y], /^epoch 1, batch 4: inputs 'x1' and 'x2' disagree on dimension 'batch': 4 vs 3$/],
      ['batch sizes differing between inputs and target', [x, y.slice(1)], /^epoch 1, batch 4: inputs 'x1' and 'target' disagree on dimension 'batch': 4 vs 3$/],
      ['a batch that is not a pair', [x], /^epoch 1, batch 4: expected \[inputs, target\], got an array of 1$/],
      ['a batch that is an object', { inputs: x, target: y }, /^epoch 1, batch 4: expected \[inputs, target\], got object$/],
      ['inputs given as an array', [[x.x1, x.x2], y], /^epoch 1, batch 4: inputs must be a record of input name to tensor, got an array$/],
      // the same checks on { data, dims } of the model's dtype, which the trainer takes without copying
      ['typed: missing input', [{ x1: tx.x1 }, ty], /^epoch 1, batch 4: missing input 'x2'; the model expects inputs: x1, x2$/],
      ['typed: unknown input', [{ ...tx, x3: tx.x1 }, ty], /^epoch 1, batch 4: unknown input 'x3'/],
      ['typed: wrong width', [{ ...tx, x1: { data: new Float32Array(8), dims: [4, 2] } }, ty], /^epoch 1, batch 4: input 'x1': expected shape \[batch, 1\], got \[4, 2\]$/],
      ['typed: wrong rank', [{ ...tx, x2: { data: tx.x2.data, dims: [4] } }, ty], /^epoch 1, batch 4: input 'x2': expected shape \[batch, 1\], got \[4\] \(rank 2, got rank 1\)$/],
      ['typed: data shorter than dims', [{ ...tx, x1: { data: tx.x1.data.subarray(1), dims: [4, 1] } }, ty], /^epoch 1, batch 4: input 'x1': data has 3 values but dims \[4, 1\] need 4$/],
      ['typed: NaN in inputs', [{ ...tx, x2: { data: Float32Array.of(0, 1, NaN, 1), dims: [4, 1] } }, ty], /^epoch 1, batch 4: input 'x2' has NaN at flat index 2; expected finite numbers$/],
      ['typed: Infinity in the target', [tx, { data: Float32Array.of(0, Infinity, 1, 1), dims: [4, 1] }], /^epoch 1, batch 4: input 'target' has Infinity at flat index 1; expected finite numbers$/],
      ['typed: batch sizes differing between inputs and target', [tx, { data: ty.data.subarray(1), dims: [3, 1] }], /^epoch 1, batch 4: inputs 'x1' and 'target' disagree on dimension 'batch': 4 vs 3$/],
    ];

    let afterGood: ModelState;
    beforeAll(async () => {
      afterGood = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet()).run(good, {}, { stepsPerRun: 2 });
    });

    for (const [name, bad, message] of cases) {
      it(name, async () => {
        const events: string[] = [];
        const error = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet())
          .on('iterationCompleted', (s) => void events.push(`i${s.iteration}`))
          .on('halted', () => void events.push('halted'))
          .run([...good, bad as Batch, ...good], {}, { stepsPerRun: 2 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BatchError);
        expect((error as BatchError).message).toMatch(message);
        // The batches before the bad one were applied (the pending chunk is flushed first).
        expect(events).toEqual(['i0', 'i1', 'i2', 'halted']);
        expect(maxDiff((error as BatchError).state, afterGood)).toBe(0);
      });
    }

    it('a bad first batch leaves the initial parameters', async () => {
      const error = await trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).run([[{}, y] as unknown as Batch]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchError);
      expect((error as BatchError).message).toMatch(/^epoch 1, batch 1: missing inputs 'x1', 'x2'; the model expects inputs: x1, x2$/);
      expect(maxDiff((error as BatchError).state, initParams(xorModel(), { seed: 3 }))).toBe(0);
    });
  });

  describe('validation and early stopping', () => {
    const train = fixed(10, 8).map(typed);
    const valBatches = [xorBatch(4, 900), xorBatch(2, 901), xorBatch(7, 902)];

    it('adds validation_loss and validation_accuracy, weighted by batch size', async () => {
      const seen: Record<string, number>[] = [];
      const t = trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet())
        .metric('accuracy')
        .validate(valBatches.map(nested))
        .on('epochCompleted', (s) => void seen.push({ ...s.metrics }));
      const state = await t.run(train, {}, { epochs: 2 });
      expect(seen).toHaveLength(2);
      expect(Object.keys(seen[1]!).sort()).toEqual(['accuracy', 'loss', 'validation_accuracy', 'validation_loss']);
      const ref = xorEvaluate(float64Params(state), valBatches);
      expect(Math.abs(seen[1]!.validation_loss! - ref.loss)).toBeLessThan(1e-5);
      expect(seen[1]!.validation_accuracy).toBeCloseTo(ref.accuracy, 10);
      // Validation does not change the parameters.
      const plain = await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet()).run(train, {}, { epochs: 2 });
      expect(maxDiff(state, plain)).toBe(0);
    });

    it('a bad validation batch is a BatchError', async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).validate([nested(valBatches[0]!), [{ x1: [[0]] }, [[1]]]]);
      const error = await t.run(train).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchError);
      expect((error as Error).message).toMatch(/^validation, batch 2: missing input 'x2'; the model expects inputs: x1, x2$/);
    });

    it('validation data must be re-iterable: a generator object is refused', () => {
      function* once() {
        yield nested(valBatches[0]!);
      }
      expect(() => trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).validate(once())).toThrow(/^validate: the data is read every epoch, so it must be re-iterable/);
    });

    it('earlyStop halts after `patience` epochs without improvement', async () => {
      const epochs: number[] = [];
      const events: string[] = [];
      await trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet())
        .metric(() => 1, 'constant')
        .handle(earlyStop({ monitor: 'constant', patience: 2 }))
        .on('epochCompleted', (s) => void epochs.push(s.epoch))
        .on('halted', () => void events.push('halted'))
        .run(train, {}, { epochs: 10, iterations: 1 });
      // Epoch 0 improves on Infinity; epochs 1 and 2 do not.
      expect(epochs).toEqual([0, 1, 2]);
      expect(events).toEqual(['halted']);
    });

    it("earlyStop in mode 'max' on a falling loss, and on validation_loss", async () => {
      const epochs: number[] = [];
      await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.1 }), quiet())
        .handle(earlyStop({ monitor: 'loss', mode: 'max', patience: 3 }))
        .on('epochCompleted', (s) => void epochs.push(s.epoch))
        .run(train, {}, { epochs: 10 });
      expect(epochs).toEqual([0, 1, 2, 3]);

      // A falling validation loss never stops the run.
      const losses: number[] = [];
      await trainer(xorModel(), 'binary_cross_entropy', sgd({ learningRate: 0.5 }), quiet())
        .validate(train)
        .handle(earlyStop({ patience: 1 }))
        .on('epochCompleted', (s) => void losses.push(s.metrics.validation_loss!))
        .run(train, {}, { epochs: 4 });
      expect(losses).toHaveLength(4);
      losses.slice(1).forEach((l, i) => expect(l).toBeLessThan(losses[i]!));
    });

    it('earlyStop errors: unknown metric, bad options', async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).metric('accuracy').handle(earlyStop({ monitor: 'validation_los' }));
      await expect(t.run(train)).rejects.toThrow(/^earlyStop: metric 'validation_los' is not computed; available: loss, accuracy$/);
      expect(() => earlyStop({ patience: 0 })).toThrow(/earlyStop: patience must be a positive integer, got 0/);
      expect(() => earlyStop({ mode: 'up' as never })).toThrow(/earlyStop: mode must be 'min' or 'max', got "up"/);
    });
  });

  describe('checkpoints', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'onnxpipe-trainer-test-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const data = fixed(5, 8).map(typed);
    const adamTrainer = () => trainer(xorModel(), 'binary_cross_entropy', adam({ learningRate: 0.05 }), quiet());

    it('round trip; resuming with adam equals an uninterrupted run', async () => {
      const path = join(dir, 'xor.ckpt.json');
      const written: string[][] = [];
      const twoEpochs = await adamTrainer()
        .handle(checkpoint({ path }))
        .on('epochCompleted', async () => void written.push(await readdir(dir)))
        .run(data, {}, { epochs: 2, stepsPerRun: 3 });
      // Written atomically: only the final file is ever there (the checkpoint handler runs before ours).
      expect(written).toEqual([['xor.ckpt.json'], ['xor.ckpt.json']]);

      const ckpt = await loadCheckpoint(path);
      expect(ckpt).toMatchObject({ format: 'onnxpipe-checkpoint', version: 1, epoch: 2, step: 10 });
      expect(maxDiff(ckpt.params, twoEpochs)).toBe(0);
      expect(Object.keys(ckpt.optimizer).sort()).toEqual([`${B0}.m`, `${B0}.v`, `${K0}.m`, `${K0}.v`, `${B1}.m`, `${B1}.v`, `${K1}.m`, `${K1}.v`].sort());
      expect(allFinite(ckpt.optimizer)).toBe(true);

      const steps: number[] = [];
      const epochs: { epoch: number; epochs: number }[] = [];
      const resumed = await adamTrainer()
        .handle(checkpoint({ path }))
        .on('iterationCompleted', (s) => void steps.push(s.step))
        .on('epochCompleted', (s) => void epochs.push({ epoch: s.epoch, epochs: s.epochs }))
        .run(data, ckpt, { epochs: 1, stepsPerRun: 3 });
      expect(steps).toEqual([11, 12, 13, 14, 15]);
      expect(epochs).toEqual([{ epoch: 2, epochs: 3 }]);
      const threeEpochs = await adamTrainer().run(data, {}, { epochs: 3, stepsPerRun: 3 });
      expect(maxDiff(resumed, threeEpochs)).toBeLessThan(1e-6);
      expect(await loadCheckpoint(path)).toMatchObject({ epoch: 3, step: 15 });

      // Resuming from the parameters alone (fresh adam state) is a different run.
      const fromParams = await adamTrainer().run(data, ckpt.params, { epochs: 1, stepsPerRun: 3 });
      expect(maxDiff(fromParams, threeEpochs)).toBeGreaterThan(1e-4);
    });

    it('a failed write leaves the previous checkpoint intact', async () => {
      const path = join(dir, 'atomic.json');
      await adamTrainer().handle(checkpoint({ path })).run(data, {}, { epochs: 1 });
      const before = await loadCheckpoint(path);
      // Block the temporary file with a directory: writeFile fails before the rename.
      await mkdir(`${path}.${process.pid}.tmp`);
      await expect(adamTrainer().handle(checkpoint({ path })).run(data, before, { epochs: 1 })).rejects.toThrow(/EISDIR/);
      expect(await loadCheckpoint(path)).toEqual(before);
      await rm(`${path}.${process.pid}.tmp`, { recursive: true });
    });

    it('every: N writes every N epochs', async () => {
      const path = join(dir, 'every.json');
      const seen: number[] = [];
      await adamTrainer()
        .handle(checkpoint({ path, every: 2 }))
        .on('epochCompleted', async () => void seen.push((await loadCheckpoint(path).catch(() => ({ epoch: -1 }))).epoch))
        .run(data, {}, { epochs: 3, iterations: 1 });
      expect(seen).toEqual([-1, 2, 2]);
      expect(() => checkpoint({ path, every: 0 })).toThrow(/checkpoint: every must be a positive integer, got 0/);
      expect(() => checkpoint({ path: '' })).toThrow(/checkpoint: path must be a file path/);
    });

    it('loadCheckpoint rejects corrupt files; run rejects a checkpoint of another optimizer', async () => {
      const corrupt = join(dir, 'corrupt.json');
      await writeFile(corrupt, '{"format": "onnxpipe-checkpoint", "ver');
      await expect(loadCheckpoint(corrupt)).rejects.toThrow(/^checkpoint .*corrupt\.json: not a JSON checkpoint/);
      await writeFile(corrupt, JSON.stringify({ format: 'something-else', version: 1, epoch: 1, step: 1, params: {}, optimizer: {} }));
      await expect(loadCheckpoint(corrupt)).rejects.toThrow(/not an onnxpipe checkpoint \(expected format 'onnxpipe-checkpoint', version 1/);
      await writeFile(corrupt, JSON.stringify({ format: 'onnxpipe-checkpoint', version: 1, epoch: 1, step: 1, params: { [B1]: { dtype: 'float32', dims: [1], data: [1, 2] } }, optimizer: {} }));
      await expect(loadCheckpoint(corrupt)).rejects.toThrow(/stateFromJSON: tensor 'dense_1.bias' must be/);

      const path = join(dir, 'sgd.json');
      await trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet()).handle(checkpoint({ path })).run(data, {}, { iterations: 1 });
      await expect(adamTrainer().run(data, await loadCheckpoint(path))).rejects.toThrow(/run: the checkpoint lacks optimizer state dense_0.kernel.m, .*\(was it written with another optimizer\?\)/);
      // A negative step would feed Adam step 0 (1 − β⁰ = 0: NaN parameters).
      const adamPath = join(dir, 'adam.json');
      await adamTrainer().handle(checkpoint({ path: adamPath })).run(data, {}, { iterations: 1 });
      const bad = { ...(await loadCheckpoint(adamPath)), step: -1 };
      await expect(adamTrainer().run(data, bad)).rejects.toThrow(/^run: the checkpoint's step and epoch must be integers ≥ 0 \(the next step fed to the optimizer is step \+ 1, and Adam divides by 1 − β\^step\), got step -1, epoch 1$/);
    });
  });

  describe('devices', () => {
    it("'cuda' is not in the CPU build: DeviceError listing the available devices", async () => {
      const error = await trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet({ device: 'cuda' })).run(fixed(1).map(typed)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceError);
      expect((error as Error).message).toMatch(/^device 'cuda' is not available in this onnxruntime build.*; available: cpu\b/);
    });

    it('an unknown device', async () => {
      const error = await trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet({ device: 'tpu' as never })).run(fixed(1).map(typed)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceError);
      expect((error as Error).message).toMatch(/^unknown device "tpu"; expected one of cpu, cuda, webgpu$/);
    });
  });

  describe('progress', () => {
    function fake(isTTY: boolean): ProgressOutput & { text: string[] } {
      const text: string[] = [];
      return { text, isTTY, write: (t) => void text.push(t) };
    }
    const make = (output: ProgressOutput | undefined, options: TrainerOptions) =>
      new Trainer({ backend, output }, xorModel(), 'binary_cross_entropy', 'sgd', { seed: 3, ...options }).metric('accuracy');
    const data = fixed(4, 4).map(typed);
    // Four significant digits (0.6931, 1.000, 2.34e-5) or 0.
    const value = '(0|\\d\\.\\d+(e-\\d+)?)';
    const line = (epoch: string, batch: string, time = ' \\((\\d+ ms|\\d+\\.\\d\\d s)\\)') => new RegExp(`^Epoch: ${epoch}, Batch: ${batch}${time} loss: ${value} accuracy: ${value}\\n$`);

    it('off a terminal: one line per epoch by default', async () => {
      const out = fake(false);
      await make(out, {}).run(data, {}, { epochs: 2 });
      expect(out.text).toHaveLength(2);
      expect(out.text[0]).toMatch(line('1/2', '4'));
      expect(out.text[1]).toMatch(line('2/2', '4'));
      const limited = fake(false);
      await make(limited, {}).run(data, {}, { epochs: 1, iterations: 3 });
      expect(limited.text).toEqual([expect.stringMatching(line('1/1', '3/3'))]);
    });

    it('log: N also writes a line every N iterations', async () => {
      const out = fake(false);
      await make(out, { log: 2 }).run(data, {}, { epochs: 2, iterations: 4 });
      expect(out.text).toHaveLength(6);
      const expected = ['1/2', '1/2', '1/2', '2/2', '2/2', '2/2'].map((e, i) => line(e, ['2/4', '4/4', '4/4'][i % 3]!, i % 3 === 2 ? undefined : ''));
      out.text.forEach((t, i) => expect(t).toMatch(expected[i]!));
    });

    it('on a terminal: a bar redrawn with \\r, a newline per epoch', async () => {
      const out = { ...fake(true), columns: 120 };
      await make(out, {}).run(data, {}, { epochs: 2, iterations: 4 });
      for (const t of out.text) expect(t).toMatch(new RegExp(`^\\r(Epoch: [12]/2 \\[[=> ]{10,30}\\] \\d/4 .*loss: ${value} accuracy: ${value})\\x1b\\[K\\n?$`));
      const ends = out.text.filter((t) => t.endsWith('\n'));
      expect(ends).toEqual([expect.stringMatching(/^\rEpoch: 1\/2 \[={30}\] 4\/4 /), expect.stringMatching(/^\rEpoch: 2\/2 \[={30}\] 4\/4 /)]);
      expect(out.text.length).toBeGreaterThan(2);
    });

    it('log: 0 writes nothing; a bad log value is an error', async () => {
      const out = fake(false);
      await make(out, { log: 0 }).run(data);
      expect(out.text).toEqual([]);
      expect(() => make(out, { log: -1 })).toThrow(/^trainer: log must be 0 \(off\) or a positive integer, got -1$/);
      expect(() => make(out, { log: 1.5 })).toThrow(/log must be 0 \(off\) or a positive integer, got 1.5/);
    });
  });

  describe('predict', () => {
    it('a single-output model gives an OutputTensor', async () => {
      const m = xorModel();
      const params = initParams(m, { seed: 5 });
      const rows = xorBatch(3, 1);
      const out = await predict(m, params, { x1: column(rows.x1), x2: column(rows.x2) });
      expect(out.dims).toEqual([3, 1]);
      const p = float64Params(params);
      rows.x1.forEach((a, i) => expect(Math.abs((out.data[i] as number) - xorProbability(p, a, rows.x2[i]!))).toBeLessThan(1e-6));
      expect(out.toArray()).toEqual(Array.from(out.data as Float32Array, (v) => [v]));
    });

    it('a model([a, b]) trains with a target record and predicts a record', async () => {
      const a = input('a', { shape: [null, 2] });
      const h = a.dense(4, { activation: 'tanh' });
      const m = model([h.dense(1, { activation: 'sigmoid' }), h.dense(3, { activation: 'softmax' })]);
      const batch: Batch = [{ a: [[1, 0], [0, 1]] }, { dense_1: [[1], [0]], dense_2: [[0, 0, 1], [1, 0, 0]] }];
      const seen: Record<string, number>[] = [];
      const state = await trainer(m, { dense_1: 'binary_cross_entropy', dense_2: 'categorical_cross_entropy' }, adam({ learningRate: 0.05 }), quiet())
        .metric('accuracy')
        .on('epochCompleted', (s) => void seen.push({ ...s.metrics }))
        .run([batch], {}, { epochs: 60 });
      expect(Object.keys(seen[0]!).sort()).toEqual(['dense_1.accuracy', 'dense_2.accuracy', 'loss']);
      expect(seen.at(-1)).toMatchObject({ 'dense_1.accuracy': 1, 'dense_2.accuracy': 1 });
      const out = await predict(m, state, { a: [[1, 0], [0, 1]] });
      expect(Object.keys(out).sort()).toEqual(['dense_1', 'dense_2']);
      expect(out.dense_1!.dims).toEqual([2, 1]);
      expect(out.dense_2!.dims).toEqual([2, 3]);
      await expect(trainer(m, 'binary_cross_entropy', 'sgd', quiet()).run([[batch[0], [[1], [0]]]])).rejects.toThrow(
        /^epoch 1, batch 1: the model has outputs dense_1, dense_2; the target must be a record with one tensor for each$/,
      );
    });

    it('takes { data, dims } targets by output name as nested ones, and names what a target record lacks', async () => {
      const a = input('a', { shape: [null, 2] });
      const h = a.dense(4, { activation: 'tanh' });
      const m = model([h.dense(1, { activation: 'sigmoid' }), h.dense(3, { activation: 'softmax' })]);
      const losses = { dense_1: 'binary_cross_entropy', dense_2: 'categorical_cross_entropy' } as const;
      const run = (batch: Batch) => trainer(m, losses, adam({ learningRate: 0.05 }), quiet()).run([batch, batch], {}, { epochs: 3 });
      const nestedBatch: Batch = [{ a: [[1, 0], [0, 1]] }, { dense_1: [[1], [0]], dense_2: [[0, 0, 1], [1, 0, 0]] }];
      const inputs = { a: { data: Float32Array.of(1, 0, 0, 1), dims: [2, 2] } };
      const dense1 = { data: Float32Array.of(1, 0), dims: [2, 1] };
      const typedBatch: Batch = [inputs, { dense_1: dense1, dense_2: { data: Float32Array.of(0, 0, 1, 1, 0, 0), dims: [2, 3] } }];
      expect(maxDiff(await run(typedBatch), await run(nestedBatch))).toBe(0);
      await expect(run([inputs, { dense_1: dense1 }])).rejects.toThrow(
        /^epoch 1, batch 1: the target record has no target for 'dense_2'; the model's outputs are dense_1, dense_2$/,
      );
      await expect(run([inputs, { dense_1: dense1, dense_2: { data: new Float32Array(6), dims: [3, 2] } }])).rejects.toThrow(
        /^epoch 1, batch 1: input 'target\.dense_2': expected shape \[batch, 3\], got \[3, 2\]$/,
      );
    });
  });

  describe('metrics', () => {
    it('accuracy: binary threshold, categorical argmax with one-hot and sparse targets', () => {
      expect(metrics.accuracy([0.2, 0.7, 0.5, 0.49], [0, 1, 0, 0], [4, 1])).toBe(0.75); // 0.5 counts as 1
      expect(metrics.accuracy([0.1, 0.7, 0.2, 0.5, 0.3, 0.2], [0, 1, 0, 0, 0, 1], [2, 3])).toBe(0.5);
      expect(metrics.accuracy([0.1, 0.7, 0.2, 0.5, 0.3, 0.2], [1, 0], [2, 3])).toBe(1);
      expect(metrics.mean_absolute_error([1, 2], [0, 4])).toBe(1.5);
      expect(metrics.mean_squared_error([1, 2], [0, 4])).toBe(2.5);
    });

    const a = input('a', { shape: [null, 2] });
    const classifier = a.dense(3, { activation: 'softmax' });
    const features = [[1, 0], [0, 1], [1, 1], [0.5, -1], [-1, 0.2], [0.3, 0.3]];
    const labels = [0, 1, 2, 1, 0, 2];
    const oneHot = labels.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0)));
    const split = <T>(rows: T[]) => [rows.slice(0, 4), rows.slice(4)];

    const cases: [string, TrainerOptions, number[] | number[][]][] = [
      ['one-hot float targets', {}, oneHot],
      ['sparse int32 targets', { targetDType: 'int32' }, labels],
      ['sparse int64 targets', { targetDType: 'int64' }, labels],
    ];
    for (const [name, options, targets] of cases) {
      it(`categorical accuracy in the loop: ${name} (also as validation_accuracy)`, async () => {
        const hand: { value: number; weight: number }[] = [];
        const handAccuracy = (p: ArrayLike<number>, _t: ArrayLike<number>, dims: readonly number[], rows: number[]) => {
          let correct = 0;
          rows.forEach((label, r) => {
            const row = Array.from(p).slice(r * dims[1]!, (r + 1) * dims[1]!);
            if (row.indexOf(Math.max(...row)) === label) correct++;
          });
          return correct / rows.length;
        };
        let step = 0;
        const labelChunks = split(labels);
        let metricsSeen: Record<string, number> = {};
        const data = split(features).map((f, i): Batch => [{ a: f }, split(targets as number[][])[i]!]);
        await trainer(classifier, 'categorical_cross_entropy', adam({ learningRate: 0.1 }), quiet(options))
          .metric('accuracy')
          .metric((p, t, dims) => {
            expect(dims).toEqual([labelChunks[step % 2]!.length, 3]);
            const v = handAccuracy(p, t, dims, labelChunks[step % 2]!);
            hand.push({ value: v, weight: 1 });
            step++;
            return v;
          }, 'hand')
          .validate(data)
          .on('epochCompleted', (s) => void (metricsSeen = { ...s.metrics }))
          .run(data, {}, { epochs: 1, stepsPerRun: 1 });
        expect(metricsSeen.accuracy).toBeCloseTo(metricsSeen.hand!, 12);
        expect(metricsSeen.validation_accuracy).toBeCloseTo(metricsSeen.validation_hand!, 12);
        expect(hand).toHaveLength(2 + 2);
      });
    }

    it('a custom metric function, named or by its function name; unknown names are an error', async () => {
      const t = trainer(xorModel(), 'binary_cross_entropy', 'sgd', quiet());
      function rows(p: ArrayLike<number>) {
        return p.length;
      }
      let seen: Record<string, number> = {};
      await t
        .metric(rows)
        .metric((p, targets) => targets.length * 10, 'targets10')
        .metric('mean_squared_error')
        .on('epochCompleted', (s) => void (seen = { ...s.metrics }))
        .run(fixed(2, 4).map(typed));
      expect(seen).toMatchObject({ rows: 4, targets10: 40 });
      expect(seen.mean_squared_error).toBeGreaterThan(0);
      expect(() => t.metric('f1' as never)).toThrow(/^metric: unknown metric "f1"; expected one of accuracy, mean_absolute_error, mean_squared_error or a function$/);
      expect(() => t.metric('toString' as never)).toThrow(/unknown metric "toString"/);
    });
  });
});
