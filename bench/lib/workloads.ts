/**
 * The two training workloads of the benchmark, their deterministic data and one shared
 * float64 evaluator that every contender's final parameters are scored with.
 */
import { initParams, input, seededRandom, type ModelState, type SymbolicTensor } from '@onnxpipe/graph-builder';
import type { Timed } from './harness.js';

export type Activation = 'tanh' | 'relu' | 'sigmoid' | 'softmax';
export type LossName = 'binary_cross_entropy' | 'categorical_cross_entropy';
export type OptimizerSpec =
  | { readonly name: 'sgd'; readonly lr: number }
  | { readonly name: 'adam'; readonly lr: number; readonly beta1: number; readonly beta2: number; readonly epsilon: number };

export interface Workload {
  readonly name: 'xor' | 'mlp';
  readonly title: string;
  /** Widths of the two inputs x1, x2 (concatenated in this order). */
  readonly widths: readonly [number, number];
  readonly layers: readonly { readonly units: number; readonly activation: Activation }[];
  readonly loss: LossName;
  readonly optimizer: OptimizerSpec;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
}

/** One training batch; the same arrays go to every contender. */
export interface Batch {
  readonly x1: Float32Array;
  readonly x2: Float32Array;
  /** [batch, units of the last layer]: 0/1 for XOR, one-hot for the MLP. */
  readonly y: Float32Array;
}

export const xor = (steps = 10_000): Workload => ({
  name: 'xor',
  title: 'XOR guide: [x1, x2] -> dense(8, tanh) -> dense(1, sigmoid), BCE, SGD lr 0.01, batch 32',
  widths: [1, 1],
  layers: [
    { units: 8, activation: 'tanh' },
    { units: 1, activation: 'sigmoid' },
  ],
  loss: 'binary_cross_entropy',
  optimizer: { name: 'sgd', lr: 0.01 },
  batch: 32,
  steps,
  seed: 42,
});

export const mlp = (steps = 200): Workload => ({
  name: 'mlp',
  title: 'MLP: [x1(392), x2(392)] -> dense(512, relu) -> dense(512, relu) -> dense(10, softmax), CCE, Adam 1e-3, batch 128',
  widths: [392, 392],
  layers: [
    { units: 512, activation: 'relu' },
    { units: 512, activation: 'relu' },
    { units: 10, activation: 'softmax' },
  ],
  loss: 'categorical_cross_entropy',
  optimizer: { name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  batch: 128,
  steps,
  seed: 7,
});

/** Every workload by name, made for a number of steps. */
export const workloadsByName = { xor, mlp } as const;

/** [in, out] of every dense layer. */
export function layerShapes(w: Workload): [number, number][] {
  let width = w.widths[0] + w.widths[1];
  return w.layers.map((l) => {
    const shape: [number, number] = [width, l.units];
    width = l.units;
    return shape;
  });
}

/** Multiply-adds of one forward pass per example: Σ in·out. */
export const macsPerExample = (w: Workload): number => layerShapes(w).reduce((s, [i, o]) => s + i * o, 0);

/** FLOPs of one training step, the usual 6 × batch × Σ in·out (forward 2, backward 4). */
export const flopsPerStep = (w: Workload): number => 6 * w.batch * macsPerExample(w);

/** The workload as an onnxpipe model (parameters dense_0.kernel, dense_0.bias, …). */
export function onnxpipeModel(w: Workload): SymbolicTensor {
  let h = input('x1', { shape: [null, w.widths[0]] }).concatenate(input('x2', { shape: [null, w.widths[1]] }));
  for (const l of w.layers) h = h.dense(l.units, { activation: l.activation });
  return h;
}

/** The initial parameters every contender starts from. */
export const initialParams = (w: Workload): ModelState => initParams(onnxpipeModel(w), { seed: w.seed });

export const copyState = (s: ModelState): ModelState =>
  Object.fromEntries(Object.entries(s).map(([k, t]) => [k, { data: t.data.slice(), dims: [...t.dims] }]));


/**
 * `count` batches. XOR: x1, x2 ∈ {0, 1}, y = x1 xor x2. MLP: inputs uniform in [-0.5, 0.5),
 * the label the argmax of a fixed random linear teacher plus noise, one-hot.
 */
export function makeBatches(w: Workload, count: number, seed: number): Batch[] {
  const rand = seededRandom(seed);
  const [w1, w2] = w.widths;
  const classes = w.layers[w.layers.length - 1]!.units;
  const teacher = w.name === 'mlp' ? teacherWeights(w) : undefined;
  const batches: Batch[] = [];
  for (let n = 0; n < count; n++) {
    const x1 = new Float32Array(w.batch * w1);
    const x2 = new Float32Array(w.batch * w2);
    const y = new Float32Array(w.batch * classes);
    if (!teacher) {
      for (let i = 0; i < w.batch; i++) {
        x1[i] = rand() < 0.5 ? 0 : 1;
        x2[i] = rand() < 0.5 ? 0 : 1;
        y[i] = x1[i] !== x2[i] ? 1 : 0;
      }
    } else {
      const score = new Float64Array(classes);
      for (let i = 0; i < w.batch; i++) {
        for (let k = 0; k < w1; k++) x1[i * w1 + k] = rand() - 0.5;
        for (let k = 0; k < w2; k++) x2[i * w2 + k] = rand() - 0.5;
        for (let c = 0; c < classes; c++) score[c] = 0.5 * (rand() - 0.5);
        for (let k = 0; k < w1 + w2; k++) {
          const x = k < w1 ? x1[i * w1 + k]! : x2[i * w2 + k - w1]!;
          for (let c = 0; c < classes; c++) score[c]! += x * teacher[k * classes + c]!;
        }
        let best = 0;
        for (let c = 1; c < classes; c++) if (score[c]! > score[best]!) best = c;
        y[i * classes + best] = 1;
      }
    }
    batches.push({ x1, x2, y });
  }
  return batches;
}

function teacherWeights(w: Workload): Float64Array {
  const rand = seededRandom(w.seed * 7919 + 1);
  const classes = w.layers[w.layers.length - 1]!.units;
  const t = new Float64Array((w.widths[0] + w.widths[1]) * classes);
  for (let i = 0; i < t.length; i++) t[i] = (rand() - 0.5) * 0.35;
  return t;
}

/** The training data and a separate, fixed evaluation batch. */
export function workloadData(w: Workload): { batches: Batch[]; evalBatch: Batch } {
  const batches = makeBatches(w, w.steps, w.seed * 1000 + 1);
  const evalSet = makeBatches({ ...w, batch: w.name === 'xor' ? 1024 : 512 }, 1, w.seed * 1000 + 2)[0]!;
  return { batches, evalBatch: evalSet };
}

/**
 * The loss of `params` on `batch`, in float64, from the logits (softplus(z) - y·z for a
 * sigmoid output, -Σ y·log_softmax(z) for softmax): one scorer for every contender.
 */
export function evaluateLoss(w: Workload, params: ModelState, batch: Batch): number {
  const shapes = layerShapes(w);
  const rows = batch.x1.length / w.widths[0];
  const [w1, w2] = w.widths;
  let a = new Float64Array(rows * (w1 + w2));
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < w1; k++) a[i * (w1 + w2) + k] = batch.x1[i * w1 + k]!;
    for (let k = 0; k < w2; k++) a[i * (w1 + w2) + w1 + k] = batch.x2[i * w2 + k]!;
  }
  let total = 0;
  shapes.forEach(([nin, nout], l) => {
    const kernel = params[`dense_${l}.kernel`]!.data;
    const bias = params[`dense_${l}.bias`]!.data;
    const z = new Float64Array(rows * nout);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < nout; j++) z[i * nout + j] = bias[j]!;
      for (let k = 0; k < nin; k++) {
        const x = a[i * nin + k]!;
        if (x === 0) continue;
        for (let j = 0; j < nout; j++) z[i * nout + j]! += x * kernel[k * nout + j]!;
      }
    }
    const act = w.layers[l]!.activation;
    if (act === 'tanh') for (let i = 0; i < z.length; i++) z[i] = Math.tanh(z[i]!);
    if (act === 'relu') for (let i = 0; i < z.length; i++) z[i] = Math.max(0, z[i]!);
    if (l === shapes.length - 1) total = lossFromLogits(w.loss, z, batch.y, rows, nout);
    a = z;
  });
  return total;
}

function lossFromLogits(loss: LossName, z: Float64Array, y: Float32Array, rows: number, width: number): number {
  let sum = 0;
  if (loss === 'binary_cross_entropy') {
    for (let i = 0; i < z.length; i++) sum += softplus(z[i]!) - y[i]! * z[i]!;
    return sum / z.length;
  }
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < width; j++) max = Math.max(max, z[i * width + j]!);
    let s = 0;
    for (let j = 0; j < width; j++) s += Math.exp(z[i * width + j]! - max);
    const lse = max + Math.log(s);
    for (let j = 0; j < width; j++) sum -= y[i * width + j]! * (z[i * width + j]! - lse);
  }
  return sum / rows;
}

export const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** The workload as the harness times and scores it, on `evalBatch`. */
export const timed = (w: Workload, evalBatch: Batch): Timed => ({
  name: w.name,
  steps: w.steps,
  flopsPerStep: flopsPerStep(w),
  gflopsColumn: w.name === 'mlp',
  evaluate: (params) => evaluateLoss(w, params, evalBatch),
});
