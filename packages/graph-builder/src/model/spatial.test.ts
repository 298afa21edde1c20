import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { avgPool, conv, embedding, exportInference, flatten, globalAvgPool, globalMaxPool, initParams, input, maxPool, reshape, type ConvOptions, type ModelState, type PoolOptions } from '../index.js';
import { checkTrainStepGradients } from '../testing/train-gradcheck.js';
import { seededUniform } from '../testing/reference.js';
import { convRef, poolRef, type Tensor, type WindowSpec } from '../testing/channels-last-reference.js';
import { elementCount } from '../ir/element-count.js';

const random = (dims: readonly number[], seed: number): Float32Array => {
  const next = seededUniform(seed);
  return Float32Array.from({ length: elementCount(dims) }, () => 2 * next() - 1);
};

async function infer(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(feeds);
  await session.release();
  return Object.values(out)[0]!;
}

/** NCHW data → NHWC, for the channels-first cases (the reference is channels last). */
function toLast(t: Tensor): Tensor {
  const [n, c, ...s] = t.dims;
  const size = elementCount(s);
  const data = new Float64Array(t.data.length);
  for (let b = 0; b < n!; b++) for (let ch = 0; ch < c!; ch++) for (let p = 0; p < size; p++) data[(b * size + p) * c! + ch] = t.data[(b * c! + ch) * size + p]!;
  return { data, dims: [n!, ...s, c!] };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  expect(worst).toBeLessThan(tol);
}

/** The window of the reference for the layer's options (the layer's own arithmetic is not reused). */
function spec(sizes: number[], o: { kernelSize: number | number[]; strides?: number | number[]; dilation?: number | number[]; padding?: unknown }, stridesDefault: 'one' | 'kernel'): WindowSpec {
  const each = (v: number | number[] | undefined, d: number[]) => (v === undefined ? d : typeof v === 'number' ? sizes.map(() => v) : v);
  const kernel = each(o.kernelSize, []);
  const strides = each(o.strides, stridesDefault === 'one' ? sizes.map(() => 1) : kernel);
  const dilations = each(o.dilation, sizes.map(() => 1));
  let pads: [number, number][];
  if (o.padding === 'same') {
    pads = sizes.map((s, i) => {
      const total = Math.max((Math.ceil(s / strides[i]!) - 1) * strides[i]! + dilations[i]! * (kernel[i]! - 1) + 1 - s, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else pads = Array.isArray(o.padding) ? (o.padding as [number, number][]) : sizes.map(() => [0, 0]);
  return { kernel, strides, dilations, pads };
}

describe('conv matches a float64 reference', () => {
  const cases: [string, number[], number, ConvOptions][] = [
    ['3x3 valid', [2, 7, 6, 3], 4, { kernelSize: 3 }],
    ['2x3 strides 2 same', [2, 7, 6, 3], 4, { kernelSize: [2, 3], strides: 2, padding: 'same' }],
    ['dilation 2, explicit asymmetric padding', [1, 8, 7, 2], 3, { kernelSize: 3, dilation: 2, padding: [[1, 2], [0, 1]] }],
    ['depthwise (groups = channels)', [2, 6, 6, 3], 6, { kernelSize: 3, groups: 3, padding: 'same' }],
    ['groups 2, stride not dividing the size', [2, 7, 7, 4], 2, { kernelSize: 2, strides: 3, groups: 2 }],
    ['1-D, kernel 5, stride 2, same', [2, 9, 2], 3, { kernelSize: 5, strides: 2, padding: 'same' }],
    ['1x1', [3, 4, 4, 5], 2, { kernelSize: 1, useBias: false }],
  ];
  for (const [label, dims, filters, options] of cases) {
    it(label, async () => {
      const x = input('x', { shape: [null, ...dims.slice(1)] });
      const m = conv(x, filters, options);
      const params = initParams(m, { seed: 4 });
      if (params['conv_0.bias']) params['conv_0.bias'] = { dims: [filters], data: random([filters], 9) };
      const data = random(dims, 1);
      const out = await infer(exportInference(m, params), { x: new ort.Tensor('float32', data, dims) });
      const ref = convRef({ data, dims }, params['conv_0.kernel']!, params['conv_0.bias'], spec(dims.slice(1, -1), options as never, 'one'), options.groups ?? 1);
      expect(out.dims).toEqual(ref.dims);
      expect(m.shape).toEqual(['batch', ...ref.dims.slice(1)]);
      expectClose(out.data as Float32Array, ref.data);
    });
  }

  it('channels first: [batch, channels, h, w] in and out', async () => {
    const dims = [2, 3, 6, 5];
    const m = conv(input('x', { shape: [null, 3, 6, 5] }), 4, { kernelSize: 3, strides: 2, padding: 'same', channels: 'first' });
    expect(m.shape).toEqual(['batch', 4, 3, 3]);
    const params = initParams(m);
    const data = random(dims, 2);
    const out = await infer(exportInference(m, params), { x: new ort.Tensor('float32', data, dims) });
    const ref = convRef(toLast({ data, dims }), params['conv_0.kernel']!, params['conv_0.bias'], spec([6, 5], { kernelSize: 3, strides: 2, padding: 'same' }, 'one'), 1);
    expectClose(toLast({ data: out.data as Float32Array, dims: out.dims as number[] }).data, ref.data);
  });
});

describe('pooling matches a float64 reference', () => {
  const cases: [string, 'max' | 'avg', number[], PoolOptions][] = [
    ['max 2x2', 'max', [2, 6, 6, 3], { kernelSize: 2 }],
    ['max 3x3 stride 2 same', 'max', [2, 7, 5, 2], { kernelSize: 3, strides: 2, padding: 'same' }],
    ['avg 2x2', 'avg', [2, 6, 6, 3], { kernelSize: 2 }],
    ['avg 3x3 stride 2 same (divides by the elements inside)', 'avg', [2, 7, 5, 2], { kernelSize: 3, strides: 2, padding: 'same' }],
    ['avg 1-D kernel 3 stride 1 explicit padding', 'avg', [2, 8, 3], { kernelSize: 3, strides: 1, padding: [[1, 1]] }],
  ];
  for (const [label, kind, dims, options] of cases) {
    it(label, async () => {
      const m = (kind === 'max' ? maxPool : avgPool)(input('x', { shape: [null, ...dims.slice(1)] }), options);
      const data = random(dims, 3);
      const out = await infer(exportInference(m, {}), { x: new ort.Tensor('float32', data, dims) });
      const ref = poolRef({ data, dims }, spec(dims.slice(1, -1), options as never, 'kernel'), kind);
      expect(out.dims).toEqual(ref.dims);
      expectClose(out.data as Float32Array, ref.data);
    });
  }

  it('global average and max pooling: [batch, h, w, c] → [batch, c]', async () => {
    const dims = [2, 3, 4, 5];
    const data = random(dims, 5);
    for (const [layer, reduce] of [
      [globalAvgPool, (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length],
      [globalMaxPool, (v: number[]) => Math.max(...v)],
    ] as const) {
      const m = layer(input('x', { shape: [null, 3, 4, 5] }));
      expect(m.shape).toEqual(['batch', 5]);
      const out = await infer(exportInference(m, {}), { x: new ort.Tensor('float32', data, dims) });
      const expected = [0, 1].flatMap((b) => [0, 1, 2, 3, 4].map((c) => reduce(Array.from({ length: 12 }, (_, p) => data[(b * 12 + p) * 5 + c]!))));
      expectClose(out.data as Float32Array, expected);
    }
  });
});

describe('layout', () => {
  const countOps = (bytes: Uint8Array, op: string) => onnxProto.onnx.ModelProto.decode(bytes).graph!.node!.filter((n) => n.opType === op).length;

  it('a channels-last CNN is transposed once on the way in and once before flatten', () => {
    const x = input('image', { shape: [null, 12, 12, 1] });
    const m = x.conv(4, { kernelSize: 3, padding: 'same', activation: 'relu' }).batchNorm().maxPool({ kernelSize: 2 }).conv(8, { kernelSize: 3 }).activation('relu').dropout(0.5).flatten().dense(3);
    expect(countOps(exportInference(m, initParams(m)), 'Transpose')).toBe(2);
  });

  it('flatten keeps the logical (channels-last) order after a conv', async () => {
    const dims = [1, 2, 2, 1];
    const m = flatten(conv(input('x', { shape: [null, 2, 2, 1] }), 3, { kernelSize: 1, useBias: false }));
    const params: ModelState = { 'conv_0.kernel': { dims: [3, 1, 1, 1], data: Float32Array.of(1, 10, 100) } };
    const out = await infer(exportInference(m, params), { x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), dims) });
    expect(Array.from(out.data as Float32Array)).toEqual([1, 10, 100, 2, 20, 200, 3, 30, 300, 4, 40, 400]);
  });

  it('reshape keeps the batch and infers one -1', async () => {
    const m = reshape(input('x', { shape: [null, 2, 3] }), [3, -1]);
    expect(m.shape).toEqual(['batch', 3, 2]);
    const out = await infer(exportInference(m, {}), { x: new ort.Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => i), [2, 2, 3]) });
    expect(out.dims).toEqual([2, 3, 2]);
    expect(() => reshape(input('x', { shape: [null, 2, 3] }), [4, -1])).toThrow(/^reshape: cannot reshape x \[batch, 2, 3\] \(6 values per example\) to \[batch, 4, -1\]$/);
  });
});

describe('a small CNN and an embedding model: train-step gradients match finite differences', () => {
  it('conv → batchNorm → maxPool → conv (stride 2, groups 2) → globalAvgPool → dense (float32)', async () => {
    const x = input('x', { shape: [null, 6, 6, 2] });
    const m = x
      .conv(4, { kernelSize: 3, padding: 'same', activation: 'tanh' })
      .batchNorm({ momentum: 0.9 })
      .maxPool({ kernelSize: 2 })
      .conv(4, { kernelSize: 2, strides: 2, groups: 2, padding: 'same' })
      .globalAvgPool()
      .dense(2);
    const { checked } = await checkTrainStepGradients(m, {
      loss: 'mean_squared_error',
      feeds: { x: new ort.Tensor('float32', random([3, 6, 6, 2], 7), [3, 6, 6, 2]), target: new ort.Tensor('float32', random([3, 2], 8), [3, 2]) },
      params: initParams(m, { seed: 1 }),
    });
    expect(checked).toBe(72 + 4 + 4 + 4 + 32 + 4 + 8 + 2);
  });

  it('embedding → mean over the sequence → dense, int64 and int32 ids', async () => {
    for (const dtype of ['int64', 'int32'] as const) {
      const ids = input('ids', { shape: [null, 4], dtype });
      const m = embedding(ids, 7, 3).reshape([12]).dense(2, { activation: 'softmax' });
      const idData = [0, 3, 3, 6, 1, 2, 6, 0];
      const idTensor = dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(idData, BigInt), [2, 4]) : new ort.Tensor('int32', Int32Array.from(idData), [2, 4]);
      const { checked } = await checkTrainStepGradients(m, {
        loss: 'sparse_categorical_cross_entropy',
        feeds: { ids: idTensor, target: new ort.Tensor('int64', BigInt64Array.of(1n, 0n), [2]) },
        params: initParams(m, { seed: 2 }),
      });
      expect(checked).toBe(21 + 24 + 2);
    }
  });

  it('embedding looks up rows of its kernel', async () => {
    const m = embedding(input('ids', { shape: [null, 3], dtype: 'int64' }), 4, 2);
    const kernel = Float32Array.of(0, 1, 10, 11, 20, 21, 30, 31);
    const out = await infer(exportInference(m, { 'embedding_0.kernel': { dims: [4, 2], data: kernel } }), { ids: new ort.Tensor('int64', BigInt64Array.of(3n, 0n, 2n), [1, 3]) });
    expect(Array.from(out.data as Float32Array)).toEqual([30, 31, 0, 1, 20, 21]);
    expect(() => embedding(input('x', { shape: [null, 3] }), 4, 2)).toThrow(/^embedding: expected int32 or int64 token ids, got float32 \(x \[batch, 3\]\); declare the input with input\(name, \{ shape, dtype: 'int64' \}\)$/);
  });
});

describe('bad options are refused, naming the value', () => {
  const image = () => input('x', { shape: [null, 8, 8, 3] });
  it.each([
    [() => conv(image(), 0, { kernelSize: 3 }), /^conv: filters must be a positive integer, got 0$/],
    [() => conv(image(), 4, { kernelSize: [3, 3, 3] }), /^conv: kernelSize must be a positive integer or 2 of them \(one per spatial dimension\), got \[3,3,3\]$/],
    [() => conv(image(), 4, { kernelSize: 3, groups: 2 }), /^conv: groups 2 must divide both the input channels \(3\) and filters \(4\)$/],
    [() => conv(image(), 4, { kernelSize: 9 }), /^conv: a window of 9x9 \(dilation 1x1\) does not fit the input's 8x8 with padding "valid"$/],
    [() => conv(image(), 4, { kernelSize: 3, padding: 'full' as never }), /^conv: padding must be 'valid', 'same' or 2 pairs \[before, after\] of non-negative integers, got "full"$/],
    [() => conv(image(), 4, { kernelSize: 3, activation: 'softmax' }), /^conv: activation 'softmax' is not applied inside conv; add \.activation\('softmax'\) after it$/],
    [() => conv(input('v', { shape: [null, 3] }), 4, { kernelSize: 3 }), /^conv: expected an input of rank 3 to 5 \(\[batch, …spatial, channels\]\), got v \[batch, 3\]$/],
    [() => conv(image(), 4, undefined as never), /^conv: options with at least kernelSize are required/],
    [() => maxPool(image(), { kernelSize: 2, channels: 'middle' as never }), /^maxPool: channels must be 'last' or 'first', got "middle"$/],
    [() => avgPool(image(), { kernelSize: 2, strides: 0 }), /^avgPool: strides must be a positive integer or 2 of them/],
  ])('%#', (make, message) => expect(make).toThrow(message));
});
