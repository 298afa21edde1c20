/**
 * The gradient graphs of the conv, pooling and embedding rules run the same on onnxruntime-web's
 * wasm backend (under Node) and on onnxruntime-node's WebGPU provider (here on Mesa's
 * CPU-emulated Vulkan device, lavapipe: .ci/system-deps.sh installs it) as on onnxruntime-node's
 * CPU provider, whose results spatial.test.ts checks against a float64 reference.
 *
 * Placement on webgpu (onnxruntime 1.30, read from its verbose log): every node of these
 * gradients runs on the WebGPU provider (Conv, ConvTranspose, MaxPool, AveragePool, the global
 * pools, MatMul, Gather, ScatterND, Equal, Expand, …) except the int64 Unsqueeze of the Gather rule's indices
 * and the shape-computing Gathers onnxruntime adds, which it places on the CPU. MaxPool made
 * with its Indices output does not run there at all (checked below): the layers make it with Y only.
 */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';
import { serializeModel } from '../onnx/serialize.js';
import { seededUniform } from '../testing/reference.js';
import { elementCount } from '../ir/element-count.js';

ortWeb.env.wasm.numThreads = 1;

interface Feed {
  readonly dtype: 'float32' | 'int64';
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}
type Feeds = Record<string, Feed>;
type Outputs = Record<string, { dims: readonly number[]; data: number[] }>;

interface Case {
  readonly name: string;
  /** Float inputs (the first with a symbolic batch) and the op applied to them. */
  readonly inputs: readonly (readonly number[])[];
  readonly build: (b: GraphBuilder, xs: readonly Value[]) => Value;
  readonly extraFeeds?: Feeds;
}

/** A model with outputs loss = Σ op(x…)·lossWeights and the gradient of every float input. */
function gradientModel(c: Case): { bytes: Uint8Array; feeds: Feeds } {
  const b = new GraphBuilder();
  const xs = c.inputs.map((shape, i) => b.input(`x${i}`, 'float32', i === 0 ? ['batch', ...shape.slice(1)] : shape));
  const out = c.build(b, xs);
  const weights = b.input('lossWeights', 'float32', out.shape);
  const loss = b.op('ReduceSum', [b.op('Mul', [out, weights])], { keepdims: 0 });
  b.output(loss, 'loss');
  gradients(b, loss, xs).forEach((g, i) => b.output(g, `grad${i}`));
  const graph = b.close(c.name);
  const next = seededUniform(11);
  const random = (dims: readonly number[]): Feed => ({ dtype: 'float32', data: Float32Array.from({ length: elementCount(dims) }, () => 4 * next() - 2), dims });
  const feeds: Feeds = { ...Object.fromEntries(c.inputs.map((shape, i) => [`x${i}`, random(shape)])), ...c.extraFeeds };
  const outDims = out.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? c.inputs[0]![0]! : Number.NaN));
  return { bytes: serializeModel({ graph, initializers: b.initializersOf(graph) }), feeds: { ...feeds, lossWeights: random(outDims) } };
}

const ids: Feed = { dtype: 'int64', data: BigInt64Array.from([3n, 0n, 3n, -1n, 7n, 3n]), dims: [3, 2] };

/** x0 of values in {-1, 0, 1}: pooling windows full of tied maxima, some of them 0 beside the padding. */
function tiedInput(dims: readonly number[]): Feeds {
  const next = seededUniform(13);
  return { x0: { dtype: 'float32', data: Float32Array.from({ length: elementCount(dims) }, () => Math.floor(3 * next()) - 1), dims } };
}

const cases: readonly Case[] = [
  { name: 'Conv stride 2, group 2, asymmetric pads, bias', inputs: [[3, 4, 9, 8], [6, 2, 3, 3], [6]], build: (b, [x, w, bias]) => b.op('Conv', [x!, w!, bias!], { strides: [2, 2], group: 2, pads: [1, 0, 2, 1] }) },
  { name: 'Conv depthwise, SAME_UPPER, 1-D dilated', inputs: [[2, 3, 10], [3, 1, 3]], build: (b, [x, w]) => b.op('Conv', [b.op('Conv', [x!, w!], { group: 3, auto_pad: 'SAME_UPPER' }), w!], { group: 3, dilations: [2] }) },
  { name: 'Conv 32 channels, stride 1, asymmetric pads (flipped-kernel dX), dY·patchesᵀ dW', inputs: [[2, 32, 5, 4], [80, 32, 1, 2]], build: (b, [x, w]) => b.op('Conv', [x!, w!], { pads: [0, 1, 1, 0], dilations: [1, 2] }) },
  { name: 'ConvTranspose stride 2, output_padding', inputs: [[2, 2, 4, 4], [2, 3, 3, 3], [3]], build: (b, [x, w, bias]) => b.op('ConvTranspose', [x!, w!, bias!], { strides: [2, 2], pads: [1, 1, 0, 0], output_padding: [1, 1] }) },
  { name: 'MaxPool overlapping, padded, ceil_mode', inputs: [[3, 2, 7, 6]], build: (b, [x]) => b.op('MaxPool', [x!], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }) },
  { name: 'MaxPool tiling the input, 2-D and 3-D (mask rule)', inputs: [[2, 3, 4, 6]], build: (b, [x]) => b.op('Add', [b.op('MaxPool', [x!], { kernel_shape: [2, 3], strides: [2, 3] }), b.op('Reshape', [b.op('MaxPool', [b.op('Reshape', [x!, b.constant([0, 3, 2, 2, 6], 'int64')])], { kernel_shape: [1, 2, 3], strides: [1, 2, 3] }), b.constant([0, 3, 2, 2], 'int64')])]) },
  {
    name: 'MaxPool tiling the input with tied maxima, 2-D and 3-D',
    inputs: [[2, 3, 4, 6]],
    build: (b, [x]) => b.op('Add', [b.op('MaxPool', [x!], { kernel_shape: [2, 3], strides: [2, 3] }), b.op('Reshape', [b.op('MaxPool', [b.op('Reshape', [x!, b.constant([0, 3, 2, 2, 6], 'int64')])], { kernel_shape: [1, 2, 3], strides: [1, 2, 3] }), b.constant([0, 3, 2, 2], 'int64')])]),
    extraFeeds: tiedInput([2, 3, 4, 6]),
  },
  {
    name: 'MaxPool overlapping, padded, ceil_mode, and GlobalMaxPool, with tied maxima',
    inputs: [[3, 2, 7, 6]],
    build: (b, [x]) => b.op('Add', [b.op('MaxPool', [x!], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), b.op('GlobalMaxPool', [x!])]),
    extraFeeds: tiedInput([3, 2, 7, 6]),
  },
  { name: 'AveragePool padded, count_include_pad 0 and 1', inputs: [[3, 2, 7, 6]], build: (b, [x]) => b.op('Add', [b.op('AveragePool', [x!], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), b.op('AveragePool', [x!], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 })]) },
  { name: 'GlobalAveragePool + GlobalMaxPool', inputs: [[3, 4, 5, 5]], build: (b, [x]) => b.op('Add', [b.op('GlobalAveragePool', [x!]), b.op('GlobalMaxPool', [x!])]) },
  {
    name: 'Gather: an embedding lookup (repeated and negative ids)',
    inputs: [[3, 1, 1], [8, 5]],
    build: (b, [scale, table]) => b.op('Mul', [b.op('Gather', [table!, b.input('ids', 'int64', ['batch', 2])]), b.op('Reshape', [scale!, b.constant([-1, 1, 1], 'int64')])]),
    extraFeeds: { ids },
  },
];

type Runtime = typeof ortNode | typeof ortWeb;

async function run(runtime: Runtime, providers: string[], bytes: Uint8Array, feeds: Feeds): Promise<Outputs> {
  const session = await runtime.InferenceSession.create(bytes, { executionProviders: providers });
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new runtime.Tensor(f.dtype, f.data, f.dims)]));
  const out = await session.run(tensors as never);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: [...t.dims], data: Array.from(t.data as Float32Array, Number) }]));
}

/** float32 results of different kernels: |a − b| ≤ 1e-5·(1 + |b|). */
function expectClose(got: Outputs, expected: Outputs): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, e] of Object.entries(expected)) {
    expect(got[name]!.dims, name).toEqual(e.dims);
    got[name]!.data.forEach((v, i) => expect(Math.abs(v - e.data[i]!), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(e.data[i]!))));
  }
}

describe('conv, pooling and embedding gradients on other backends give the CPU results', () => {
  for (const c of cases) {
    it(`${c.name}: onnxruntime-web wasm and onnxruntime-node webgpu`, async () => {
      const { bytes, feeds } = gradientModel(c);
      const cpu = await run(ortNode, ['cpu'], bytes, feeds);
      expect(cpu.grad0!.data.some((v) => v !== 0)).toBe(true);
      expectClose(await run(ortWeb, ['wasm'], bytes, feeds), cpu);
      expectClose(await run(ortNode, ['webgpu'], bytes, feeds), cpu);
    });
  }

  it('the webgpu provider runs no MaxPool with an Indices output (so the MaxPool rule does not use Indices)', async () => {
    const b = new GraphBuilder();
    const [y, indices] = b.opMulti('MaxPool', [b.input('x', 'float32', [1, 1, 4, 4])], { kernel_shape: [2, 2] }, 2);
    b.output(y!, 'y');
    b.output(indices!, 'indices');
    const graph = b.close('maxpool');
    const feeds: Feeds = { x: { dtype: 'float32', data: new Float32Array(16), dims: [1, 1, 4, 4] } };
    await expect(run(ortNode, ['webgpu'], serializeModel({ graph, initializers: [] }), feeds)).rejects.toThrow(/The Indices output is not supported yet/);
  });
});
