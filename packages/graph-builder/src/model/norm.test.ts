import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { batchNorm, exportInference, exportTrainStep, initParams, input, layerNorm, sgd, type ModelState } from '../index.js';
import { checkTrainStepGradients } from '../testing/train-gradcheck.js';
import { seededUniform } from '../testing/reference.js';
import { elementCount } from '../ir/element-count.js';

const f64 = (dims: number[], seed: number, scale = 2) => {
  const next = seededUniform(seed);
  return new ort.Tensor('float64', Float64Array.from({ length: elementCount(dims) }, () => scale * (2 * next() - 1)), dims);
};

/** Perturb every parameter so that gamma ≠ 1 and beta ≠ 0 (a fresh norm layer is the identity). */
function jitter(state: ModelState, seed: number): ModelState {
  const next = seededUniform(seed);
  return Object.fromEntries(Object.entries(state).map(([k, t]) => [k, { dims: t.dims, data: t.data.map((v) => v + 0.5 * (2 * next() - 1)) }])) as ModelState;
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(feeds);
  await session.release();
  return out;
}

/** float64 reference: normalise each slice along `axis` of a row-major tensor. */
function layerNormRef(x: ArrayLike<number>, dims: number[], axis: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): number[] {
  const n = dims[axis]!;
  const inner = elementCount(dims.slice(axis + 1));
  const out = new Array<number>(x.length);
  for (let base = 0; base < x.length; base++) {
    const i = Math.floor(base / (n * inner)) * n * inner + (base % inner);
    if (Math.floor(base / inner) % n !== 0) continue;
    const slice = Array.from({ length: n }, (_, k) => x[i + k * inner]!);
    const mean = slice.reduce((a, v) => a + v, 0) / n;
    const variance = slice.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    slice.forEach((v, k) => (out[i + k * inner] = ((v - mean) / Math.sqrt(variance + eps)) * gamma[k]! + beta[k]!));
  }
  return out;
}

describe('layerNorm', () => {
  for (const [axis, dims] of [
    [-1, [5, 4]],
    [-1, [2, 3, 4]],
    [1, [2, 3, 4]],
  ] as const) {
    it(`matches a float64 reference, axis ${axis} of [${dims.join(', ')}]`, async () => {
      const x = input('x', { shape: [null, ...dims.slice(1)], dtype: 'float64' });
      const m = layerNorm(x, { axis, epsilon: 1e-5 });
      const params = jitter(initParams(m), 3);
      const data = f64([...dims], 11);
      const out = await run(exportInference(m, params), { x: data });
      const a = axis < 0 ? axis + dims.length : axis;
      const expected = layerNormRef(data.data as Float64Array, [...dims], a, params['layerNorm_0.gamma']!.data, params['layerNorm_0.beta']!.data, 1e-5);
      Array.from(out.layerNorm_0!.data as Float64Array).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-12));
    });
  }

  it('its train step gradient matches finite differences (float64)', async () => {
    const x = input('x', { shape: [null, 3, 4], dtype: 'float64' });
    const m = x.layerNorm({ axis: 1 }).flatten().dense(2);
    const { checked } = await checkTrainStepGradients(m, {
      loss: 'mean_squared_error',
      feeds: { x: f64([2, 3, 4], 5), target: f64([2, 2], 6) },
      params: jitter(initParams(m), 7),
    });
    expect(checked).toBe(3 + 3 + 12 * 2 + 2);
  });

  it('refuses a bad axis or epsilon', () => {
    const x = input('x', { shape: [null, 3] });
    expect(() => layerNorm(x, { axis: 0 })).toThrow(/^layerNorm: axis 0 is out of range for x \[batch, 3\] \(the batch axis 0 cannot be normalised over\)$/);
    expect(() => layerNorm(x, { epsilon: 0 })).toThrow(/^layerNorm: epsilon must be a positive number, got 0$/);
  });
});

describe('batchNorm', () => {
  const momentum = 0.9;
  const epsilon = 1e-3;

  it('its train step gradient (through the batch statistics) matches finite differences (float64)', async () => {
    const x = input('x', { shape: [null, 3], dtype: 'float64' });
    const m = x.dense(4).batchNorm({ momentum, epsilon }).dense(1);
    const { checked } = await checkTrainStepGradients(m, {
      loss: 'mean_squared_error',
      feeds: { x: f64([6, 3], 1), target: f64([6, 1], 2) },
      params: jitter(initParams(m), 3),
    });
    expect(checked).toBe(12 + 4 + 4 + 4 + 4 + 1);
  });

  it('running mean and variance after 3 steps equal the reference moving averages; they get no optimizer state', async () => {
    const x = input('x', { shape: [null, 2], dtype: 'float64' });
    const m = x.batchNorm({ momentum, epsilon }).dense(1);
    const step = exportTrainStep(m, { loss: 'mean_squared_error', optimizer: 'adam' });
    expect(step.signature.params.map((p) => [p.name, p.trainable])).toEqual([
      ['batchNorm_0.gamma', true],
      ['batchNorm_0.beta', true],
      ['batchNorm_0.mean', false],
      ['batchNorm_0.var', false],
      ['dense_0.kernel', true],
      ['dense_0.bias', true],
    ]);
    expect(step.signature.state.some((s) => s.param.startsWith('batchNorm_0.mean') || s.param.startsWith('batchNorm_0.var'))).toBe(false);
    const session = await ort.InferenceSession.create(step.bytes);
    let state: Record<string, ort.Tensor> = Object.fromEntries(Object.entries(initParams(m)).map(([k, t]) => [k, new ort.Tensor('float64', t.data, t.dims)]));
    let slots: Record<string, ort.Tensor> = Object.fromEntries(step.signature.state.map((s) => [s.name, new ort.Tensor('float64', new Float64Array(elementCount(s.dims)), s.dims)]));
    let [mean, variance] = [[0, 0], [1, 1]];
    for (let k = 0; k < 3; k++) {
      const data = f64([5, 2], 20 + k);
      const cols = [0, 1].map((c) => Array.from({ length: 5 }, (_, r) => (data.data as Float64Array)[r * 2 + c]!));
      const batchMean = cols.map((col) => col.reduce((a, v) => a + v, 0) / 5);
      const batchVar = cols.map((col, c) => col.reduce((a, v) => a + (v - batchMean[c]!) ** 2, 0) / 5);
      mean = mean.map((v, c) => momentum * v + (1 - momentum) * batchMean[c]!);
      variance = variance.map((v, c) => momentum * v + (1 - momentum) * batchVar[c]!);
      const lr = new ort.Tensor('float64', Float64Array.of(0.01), []);
      const out = await session.run({ x: data, target: f64([5, 1], 40 + k), ...state, ...slots, lr, step: new ort.Tensor('float64', Float64Array.of(k + 1), []) });
      state = Object.fromEntries(step.signature.params.map((p) => [p.name, out[p.next]!]));
      slots = Object.fromEntries(step.signature.state.map((s) => [s.name, out[s.next]!]));
    }
    await session.release();
    Array.from(state['batchNorm_0.mean']!.data as Float64Array).forEach((v, c) => expect(v).toBeCloseTo(mean[c]!, 12));
    Array.from(state['batchNorm_0.var']!.data as Float64Array).forEach((v, c) => expect(v).toBeCloseTo(variance[c]!, 12));
  });

  it('the inference export normalises with the running statistics, in one BatchNormalization node', async () => {
    const x = input('x', { shape: [null, 3], dtype: 'float64' });
    const m = x.batchNorm({ epsilon });
    const params = jitter(initParams(m), 9);
    params['batchNorm_0.var'] = { dims: [3], data: Float64Array.of(0.5, 1.5, 2.5) };
    const bytes = exportInference(m, params);
    expect(new TextDecoder().decode(bytes)).toContain('BatchNormalization');
    const data = f64([4, 3], 8);
    const out = await run(bytes, { x: data });
    const p = (k: string) => params[`batchNorm_0.${k}`]!.data;
    Array.from(out.batchNorm_0!.data as Float64Array).forEach((v, i) => {
      const c = i % 3;
      // epsilon is a FLOAT attribute of the node: its float32 value.
      const expected = (((data.data as Float64Array)[i]! - p('mean')[c]!) / Math.sqrt(p('var')[c]! + Math.fround(epsilon))) * p('gamma')[c]! + p('beta')[c]!;
      expect(Math.abs(v - expected)).toBeLessThan(1e-12);
    });
  });

  it('refuses a bad momentum', () => {
    expect(() => batchNorm(input('x', { shape: [null, 3] }), { momentum: 1.5 })).toThrow(/^batchNorm: momentum must be in \[0, 1\), got 1.5$/);
  });
});
