import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { adam, input, model, seededRandom, sgd, type ModelState } from '@onnxpipe/graph-builder';
import { earlyStop, trainer, type Batch, type LoopState } from '../node.js';

/*
 * `fit` against `run`: the same training written out by hand as batches (the last 20 % of the
 * rows held out, a Fisher–Yates permutation per epoch from seededRandom(seed), batches of 32)
 * must give bit-identical parameters and the same history.
 */

/** The 3-input regression of the trainer README: y = sin(2·x1) + x2·x3 + noise. */
function regressionData(rows: number) {
  const random = seededRandom(1);
  const uniform = () => random() * 2 - 1;
  const x1 = Array.from({ length: rows }, () => [uniform()]);
  const x2 = Array.from({ length: rows }, () => [uniform()]);
  const x3 = Array.from({ length: rows }, () => [uniform()]);
  const y = x1.map(([a], i) => [Math.sin(2 * a!) + x2[i]![0]! * x3[i]![0]! + 0.1 * uniform()]);
  return { x: { x1, x2, x3 }, y };
}

function regressionModel() {
  const [x1, x2, x3] = ['x1', 'x2', 'x3'].map((name) => input(name, { shape: [null, 1] }));
  return x1!.concatenate(x2!, x3!).dense(16, { activation: 'tanh' }).dense(1);
}

function maxDiff(a: ModelState, b: ModelState): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let d = 0;
  for (const k of Object.keys(a)) a[k]!.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - b[k]!.data[i]!))));
  return d;
}

/** The spec's shuffle, written independently: Fisher–Yates over 0…n−1, i from n−1 down to 1, j = floor(random()·(i+1)). */
function referencePermutation(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

type Rows = { x: Record<string, number[][]>; y: number[][] };

function referenceBatches(data: Rows, rows: readonly number[], batchSize: number): Batch[] {
  const batches: Batch[] = [];
  for (let from = 0; from < rows.length; from += batchSize) {
    const part = rows.slice(from, from + batchSize);
    batches.push([Object.fromEntries(Object.entries(data.x).map(([k, v]) => [k, part.map((r) => v[r]!)])), part.map((r) => data.y[r]!)]);
  }
  return batches;
}

const quiet = { seed: 7, log: 0 };

describe('fit', () => {
  it('trains the README regression from arrays with validationSplit and restoreBest, as run does on the same batches', async () => {
    const data = regressionData(500);
    const options = { batchSize: 32, epochs: 60, validationSplit: 0.2, seed: 11 };
    const fitted = await trainer(regressionModel(), 'mean_squared_error', adam({ learningRate: 0.03 }), quiet)
      .metric('mean_absolute_error')
      .handle(earlyStop({ patience: 4, restoreBest: true }))
      .fit(data.x, data.y, options);

    // The same with run: rows 0..399 train, 400..499 validate; one permutation per epoch.
    const train = Array.from({ length: 400 }, (_, i) => i);
    const random = seededRandom(options.seed);
    const epochData = { [Symbol.iterator]: () => referenceBatches(data, referencePermutation(train.length, random), 32)[Symbol.iterator]() };
    const seen: { metrics: Record<string, number>; params: ModelState }[] = [];
    const ran = await trainer(regressionModel(), 'mean_squared_error', adam({ learningRate: 0.03 }), quiet)
      .metric('mean_absolute_error')
      .validate(referenceBatches(data, Array.from({ length: 100 }, (_, i) => 400 + i), 32))
      .on('epochCompleted', async (s) => void seen.push({ metrics: { ...s.metrics }, params: await s.params() }))
      .handle(earlyStop({ patience: 4, restoreBest: true }))
      .run(epochData, {}, { epochs: options.epochs, iterations: 13 });

    expect(maxDiff(fitted.state, ran)).toBe(0);
    expect(Object.keys(fitted.history)).toEqual(['loss', 'mean_absolute_error', 'validation_loss', 'validation_mean_absolute_error']);
    for (const [name, values] of Object.entries(fitted.history)) expect(values).toEqual(seen.map((e) => e.metrics[name]));

    // It stopped early, on a later epoch than the best, and returned the best epoch's parameters.
    const losses = fitted.history.validation_loss!;
    const best = losses.indexOf(Math.min(...losses));
    expect(losses.length).toBeLessThan(options.epochs);
    expect(losses.length).toBe(best + 1 + 4);
    expect(maxDiff(fitted.state, seen[best]!.params)).toBe(0);
    expect(maxDiff(fitted.state, seen.at(-1)!.params)).toBeGreaterThan(0);
    // And it learned: the validation loss fell well below the targets' variance.
    const ys = data.y.slice(400).map(([v]) => v!);
    const mean = ys.reduce((a, b) => a + b) / ys.length;
    expect(losses[best]).toBeLessThan(0.1 * (ys.reduce((a, v) => a + (v - mean) ** 2, 0) / ys.length));
  });

  describe('batches', () => {
    const data = regressionData(10);
    /** The rows of every batch seen in training, as x1 values. */
    async function batchesSeen(options: Parameters<ReturnType<typeof trainer>['fit']>[2]): Promise<number[][]> {
      const seen: number[][] = [];
      const t = trainer(regressionModel(), 'mean_squared_error', sgd({ learningRate: 1e-6 }), quiet);
      t.metric((_, targets) => {
        seen.push(Array.from(targets));
        return 0;
      }, 'rows');
      await t.fit(data.x, data.y, { stepsPerRun: 1, ...options });
      const row = new Map(data.y.map(([v], i) => [Math.fround(v!), i]));
      return seen.map((targets) => targets.map((v) => row.get(v)!));
    }

    it('in order without shuffle; the last partial batch kept by default and dropped with dropLast', async () => {
      expect(await batchesSeen({ batchSize: 4, shuffle: false })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
      expect(await batchesSeen({ batchSize: 4, shuffle: false, dropLast: true })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
      expect(await batchesSeen({ batchSize: 32, shuffle: false })).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    });

    it('shuffled: a new seeded permutation every epoch, reproducible, different for another seed', async () => {
      const seen = await batchesSeen({ batchSize: 4, epochs: 2, seed: 5 });
      const random = seededRandom(5);
      const expected = [referencePermutation(10, random), referencePermutation(10, random)].flatMap((p) => [p.slice(0, 4), p.slice(4, 8), p.slice(8)]);
      expect(seen).toEqual(expected);
      expect(seen.slice(0, 3).flat()).not.toEqual(seen.slice(3).flat());
      expect(await batchesSeen({ batchSize: 4, epochs: 2, seed: 5 })).toEqual(seen);
      expect(await batchesSeen({ batchSize: 4, epochs: 2, seed: 6 })).not.toEqual(seen);
      // Without a seed of its own, fit shuffles with the trainer's.
      expect(await batchesSeen({ batchSize: 4, epochs: 2 })).toEqual(await batchesSeen({ batchSize: 4, epochs: 2, seed: quiet.seed }));
    });
  });

  it('takes nested arrays, typed arrays with dims and onnxruntime tensors alike; validationData; a history per epoch', async () => {
    const data = regressionData(40);
    const column = (rows: number[][]) => Float32Array.from(rows, ([v]) => v!);
    const forms = [
      data.x,
      Object.fromEntries(Object.entries(data.x).map(([k, v]) => [k, { data: column(v), dims: [40, 1] }])),
      Object.fromEntries(Object.entries(data.x).map(([k, v]) => [k, new ort.Tensor('float32', column(v), [40, 1])])),
    ];
    const validation = regressionData(12);
    const results = [];
    for (const x of forms) {
      results.push(
        await trainer(regressionModel(), 'mean_squared_error', adam({ learningRate: 0.01 }), quiet).fit(x, { data: column(data.y), dims: [40, 1] }, {
          batchSize: 8,
          epochs: 3,
          validationData: [validation.x, validation.y],
        }),
      );
    }
    for (const r of results.slice(1)) {
      expect(maxDiff(r.state, results[0]!.state)).toBe(0);
      expect(r.history).toEqual(results[0]!.history);
    }
    expect(Object.keys(results[0]!.history)).toEqual(['loss', 'validation_loss']);
    expect(results[0]!.history.loss).toHaveLength(3);
  });

  it('several outputs: y as a record by output name, lossWeights, per-output metrics in the history', async () => {
    const a = input('a', { shape: [null, 2] });
    const h = a.dense(4, { activation: 'tanh' });
    const m = model({ score: h.dense(1), probs: h.dense(2, { activation: 'softmax' }) });
    const x = { a: [[1, 0], [0, 1], [1, 1], [0, 0]] };
    const y = { score: [[1], [0], [2], [0]], probs: [[1, 0], [0, 1], [1, 0], [0, 1]] };
    const { history } = await trainer(m, { score: 'mean_squared_error', probs: 'categorical_cross_entropy' }, adam({ learningRate: 0.05 }), { ...quiet, lossWeights: { score: 0.5 } })
      .metric('accuracy')
      .fit(x, y, { batchSize: 2, epochs: 2 });
    expect(Object.keys(history)).toEqual(['loss', 'score.accuracy', 'probs.accuracy']);
    await expect(trainer(m, 'mean_squared_error', 'sgd', quiet).fit(x, { score: y.score })).rejects.toThrow(
      /^fit: y: the target record has no target for 'probs'; the model's outputs are score, probs$/,
    );
  });

  describe('errors', () => {
    const data = regressionData(10);
    const t = () => trainer(regressionModel(), 'mean_squared_error', 'sgd', quiet);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['arrays of different lengths', () => t().fit({ ...data.x, x2: data.x.x2.slice(1) }, data.y), /^fit: x\.x2 has 9 rows but x\.x1 has 10; every input and the target need one row per example$/],
      ['a target of another length', () => t().fit(data.x, data.y.slice(2)), /^fit: y has 8 rows but x\.x1 has 10; every input and the target need one row per example$/],
      ['a missing input', () => t().fit({ x1: data.x.x1, x2: data.x.x2 }, data.y), /^fit: x: missing input 'x3'; the model expects inputs: x1, x2, x3$/],
      ['x not a record', () => t().fit([data.x.x1] as never, data.y), /^fit: x must be a record of input name to array, got an array$/],
      ['a wrong width', () => t().fit({ ...data.x, x1: data.x.x1.map(([v]) => [v!, v!]) }, data.y), /^fit: input 'x\.x1': expected shape \[\?, 1\], got \[10, 2\]$/],
      ['NaN in an input', () => t().fit({ ...data.x, x3: data.x.x3.map((r, i) => (i === 7 ? [NaN] : r)) }, data.y), /^fit: x\.x3 has NaN in row 7 \(counting from 0\); expected finite numbers$/],
      ['no rows', () => t().fit(Object.fromEntries(['x1', 'x2', 'x3'].map((k) => [k, { data: new Float32Array(0), dims: [0, 1] }])), { data: [], dims: [0, 1] }), /^fit: x has no rows$/],
      ['a bad batchSize', () => t().fit(data.x, data.y, { batchSize: 0 }), /^fit: batchSize must be a positive integer, got 0$/],
      ['a bad epochs', () => t().fit(data.x, data.y, { epochs: 1.5 }), /^fit: epochs must be a positive integer, got 1.5$/],
      ['both validation options', () => t().fit(data.x, data.y, { validationSplit: 0.2, validationData: [data.x, data.y] }), /^fit: give validationSplit or validationData, not both$/],
      ['a validationSplit out of range', () => t().fit(data.x, data.y, { validationSplit: 1 }), /^fit: validationSplit must be a number between 0 and 1 \(exclusive\), got 1$/],
      ['a validationSplit leaving no training row', () => t().fit(data.x, data.y, { validationSplit: 0.95 }), /^fit: validationSplit 0.95 of 10 rows leaves 0 for training and 10 for validation; each needs at least one$/],
      ['validationData not a pair', () => t().fit(data.x, data.y, { validationData: [data.x] as never }), /^fit: validationData must be a pair \[x, y\]$/],
      ['validation arrays of different lengths', () => t().fit(data.x, data.y, { validationData: [data.x, data.y.slice(1)] }), /^fit: validationData y has 9 rows but validationData x\.x1 has 10/],
      ['dropLast leaving no batch', () => t().fit(data.x, data.y, { batchSize: 16, dropLast: true }), /^fit: dropLast leaves no batch: 10 training rows, batchSize 16$/],
    ];
    for (const [name, call, message] of cases) {
      it(name, async () => {
        await expect(call()).rejects.toThrow(message);
      });
    }
  });

  it('starts from init when given, as run does', async () => {
    const data = regressionData(16);
    const first = await trainer(regressionModel(), 'mean_squared_error', 'adam', quiet).fit(data.x, data.y, { batchSize: 8, shuffle: false });
    const steps: LoopState['step'][] = [];
    const again = await trainer(regressionModel(), 'mean_squared_error', 'adam', quiet)
      .on('iterationCompleted', (s) => void steps.push(s.step))
      .fit(data.x, data.y, { batchSize: 8, shuffle: false, init: first.state });
    expect(steps).toEqual([1, 2]);
    expect(maxDiff(again.state, first.state)).toBeGreaterThan(0);
  });
});
