/**
 * An independent float64 forward pass for tests, over plain nested arrays (`number[][]`,
 * one row per batch item). Written from the math; it imports nothing from the builder, so
 * comparing an exported model with it never compares the code under test with itself.
 * Each test writes its model's forward pass by hand from these helpers.
 */

export type Matrix = number[][];

/** A parameter as `initParams` returns it: row-major data and dims. */
export interface RefTensor {
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}
export type RefParams = Readonly<Record<string, RefTensor>>;

function param(params: RefParams, name: string): RefTensor {
  const t = params[name];
  if (!t) throw new Error(`reference: parameter '${name}' is missing`);
  return t;
}

/** `x @ w` with `w` of dims [in, out], row-major. */
export function matmul(x: Matrix, w: RefTensor): Matrix {
  const [rows, cols] = w.dims as [number, number];
  if (w.dims.length !== 2 || w.data.length !== rows * cols) throw new Error(`reference: matmul expects a 2-D weight, got dims [${w.dims.join(', ')}]`);
  return x.map((row) => {
    if (row.length !== rows) throw new Error(`reference: matmul of a row of ${row.length} with [${rows}, ${cols}]`);
    const out = new Array<number>(cols).fill(0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j]! += row[i]! * w.data[i * cols + j]!;
    return out;
  });
}

export function addBias(x: Matrix, bias: RefTensor): Matrix {
  return x.map((row) => {
    if (row.length !== bias.data.length) throw new Error(`reference: bias of ${bias.data.length} for rows of ${row.length}`);
    return row.map((v, j) => v + bias.data[j]!);
  });
}

/** Concatenate along the last axis. */
export function concat(...xs: Matrix[]): Matrix {
  const batch = xs[0]!.length;
  if (xs.some((x) => x.length !== batch)) throw new Error('reference: concat of different batch sizes');
  return xs[0]!.map((_, r) => xs.flatMap((x) => x[r]!));
}

function zip(a: Matrix, b: Matrix, f: (x: number, y: number) => number): Matrix {
  if (a.length !== b.length || a.some((row, r) => row.length !== b[r]!.length)) throw new Error('reference: elementwise op on different shapes');
  return a.map((row, r) => row.map((v, c) => f(v, b[r]![c]!)));
}
export const addM = (a: Matrix, b: Matrix): Matrix => zip(a, b, (x, y) => x + y);
export const subM = (a: Matrix, b: Matrix): Matrix => zip(a, b, (x, y) => x - y);
export const mulM = (a: Matrix, b: Matrix): Matrix => zip(a, b, (x, y) => x * y);

/**
 * erf by its everywhere-positive series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)),
 * which has no cancellation; |x| ≥ 6 gives ±1 to double precision.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  let term = a;
  let sum = a;
  for (let n = 1; n < 500 && term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

const perElement = (f: (v: number) => number) => (x: Matrix): Matrix => x.map((row) => row.map(f));

function softmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

/** Activations by name, from their definitions (softmax and log_softmax over the last axis). */
export const refActivations: Readonly<Record<string, (x: Matrix) => Matrix>> = {
  linear: (x) => x.map((row) => [...row]),
  relu: perElement((v) => (v > 0 ? v : 0)),
  tanh: perElement(Math.tanh),
  sigmoid: perElement((v) => 1 / (1 + Math.exp(-v))),
  softmax: (x) => x.map(softmaxRow),
  log_softmax: (x) => x.map(logSoftmaxRow),
  softplus: perElement((v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)))),
  leaky_relu: perElement((v) => (v >= 0 ? v : 0.01 * v)),
  gelu: perElement((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  exp: perElement(Math.exp),
};

export function activate(name: string, x: Matrix): Matrix {
  const f = refActivations[name];
  if (!f) throw new Error(`reference: no activation '${name}'`);
  return f(x);
}

/** A dense layer: act(x @ params[`${layer}.kernel`] + params[`${layer}.bias`]), the bias skipped when absent. */
export function denseRef(x: Matrix, params: RefParams, layer: string, act = 'linear', useBias = true): Matrix {
  const z = matmul(x, param(params, `${layer}.kernel`));
  return activate(act, useBias ? addBias(z, param(params, `${layer}.bias`)) : z);
}

/** Rows of a row-major [batch, width] buffer. */
export function toRows(data: ArrayLike<number>, dims: readonly number[]): Matrix {
  const [batch, width] = dims as [number, number];
  if (dims.length !== 2 || data.length !== batch * width) throw new Error(`reference: expected [batch, width] data, got dims [${dims.join(', ')}]`);
  return Array.from({ length: batch }, (_, r) => Array.from({ length: width }, (_, c) => Number(data[r * width + c]!)));
}

/** Seeded uniform floats in [0, 1) for test inputs. */
export { seededRandom as seededUniform } from '../model/random.js';

/** A [batch, width] buffer of values in [-range, range), rounded to float32 unless `float64`. */
export function randomData(next: () => number, batch: number, width: number, dtype: 'float32' | 'float64' = 'float32', range = 2): Float32Array | Float64Array {
  const out = dtype === 'float64' ? new Float64Array(batch * width) : new Float32Array(batch * width);
  for (let i = 0; i < out.length; i++) out[i] = (2 * next() - 1) * range;
  return out;
}

/** The largest |a − b| / (1 + |b|) over two equal-shaped matrices (b the reference); Infinity on a shape mismatch or NaN. */
export function maxError(a: Matrix, b: Matrix): number {
  if (a.length !== b.length || a.some((row, r) => row.length !== b[r]!.length)) return Infinity;
  let worst = 0;
  a.forEach((row, r) =>
    row.forEach((v, c) => {
      const e = Math.abs(v - b[r]![c]!) / (1 + Math.abs(b[r]![c]!));
      worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
    }),
  );
  return worst;
}
