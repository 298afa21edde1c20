import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Dim, Value } from '../ir/types.js';
import { serializeModel } from '../onnx/serialize.js';
import { checkGradientByReference } from '../testing/refcheck.js';
import { seededUniform } from '../testing/reference.js';
import { referenceCases, type ReferenceCase } from '../testing/spatial-cases.js';
import { convRef, maxPoolRef, maxPoolWindowsRef } from '../testing/spatial-reference.js';
import { ops, type OpAttrs, type OpName } from './index.js';
import { elementCount } from '../ir/element-count.js';

const label = (c: ReferenceCase) =>
  `${c.shapes.map((s) => `[${s.join(',')}]`).join(' ')} ${JSON.stringify(c.options.attrs ?? {})}${c.options.symbolicBatch ? ' symbolic batch' : ''}`;

describe('float32 gradients and forward outputs match a float64 reference (finite differences of an independent forward pass)', () => {
  for (const [op, cases] of Object.entries(referenceCases) as [OpName, readonly ReferenceCase[]][]) {
    cases.forEach((c, i) => {
      it(`${op} ${label(c)}`, async () => {
        const { checked, worstGradient, worstForward, tolerance } = await checkGradientByReference(op, c.shapes, c.reference, { seed: 200 + i, ...c.options });
        expect(checked).toBe(c.shapes.reduce((n, s) => n + elementCount(s), 0));
        expect(Math.max(worstGradient, worstForward)).toBeLessThanOrEqual(tolerance);
      });
    });
  }
});

describe('the reference check has teeth', () => {
  /** Run `check` with op's gradient rule reading altered attributes. */
  async function withAlteredRule(op: 'Conv' | 'AveragePool', alter: (attrs: Record<string, unknown>) => Record<string, unknown>, check: () => Promise<unknown>) {
    const table = ops as Record<string, unknown>;
    const original = ops[op];
    table[op] = { ...original, vjp: (dys: never, node: { attrs: Record<string, unknown> }, b: never) => original.vjp!(dys, { ...node, attrs: alter(node.attrs) } as never, b) };
    try {
      await check();
    } finally {
      table[op] = original;
    }
  }

  it('a Conv rule that pads at the wrong end is caught', async () => {
    const c = referenceCases.Conv[2]!;
    await withAlteredRule('Conv', (a) => ({ ...a, pads: [2, 1, 1, 0] }), async () => {
      await expect(checkGradientByReference('Conv', c.shapes, c.reference, c.options)).rejects.toThrow(/checkGradientByReference Conv .*: \d+ elements off by more than/);
    });
  });

  it('an AveragePool rule with the other divisor (count_include_pad flipped) is caught', async () => {
    const c = referenceCases.AveragePool[0]!;
    await withAlteredRule('AveragePool', (a) => ({ ...a, count_include_pad: 1 - (a.count_include_pad as number) }), async () => {
      await expect(checkGradientByReference('AveragePool', c.shapes, c.reference, c.options)).rejects.toThrow(/\d+ elements off by more than/);
    });
  });

  it('a reference that disagrees with the forward output is caught', async () => {
    const c = referenceCases.Conv[0]!;
    const shifted: ReferenceCase['reference'] = ([x, w, bias]) => convRef(x!, w!, bias, { pads: [1, 1, 1, 1], strides: [1, 1] });
    await expect(checkGradientByReference('Conv', c.shapes, shifted, c.options)).rejects.toThrow(/^checkGradientByReference Conv: output shape \[2, 4, 5, 5\], the reference gives \[2, 4, 7, 7\]$/);
  });
});

describe('MaxPool Indices', () => {
  it('are flat positions over the whole input, row-major, as the reference finds them (padding, ceil_mode, dilations)', async () => {
    const cases: [number[], OpAttrs<'MaxPool'>][] = [
      [[2, 3, 7, 6], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], ceil_mode: 1 }],
      [[2, 2, 7, 7], { kernel_shape: [2, 2], dilations: [2, 2] }],
      [[2, 2, 9], { kernel_shape: [3], strides: [2], auto_pad: 'SAME_LOWER' }],
    ];
    for (const [shape, attrs] of cases) {
      const b = new GraphBuilder();
      const x = b.input('x', 'float32', shape);
      const [y, indices] = b.opMulti('MaxPool', [x], attrs, 2);
      b.output(y!, 'y');
      b.output(indices!, 'indices');
      const graph = b.close('maxpool');
      const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: [] }));
      const next = seededUniform(5);
      const data = Float32Array.from({ length: elementCount(shape) }, () => 4 * next() - 2);
      const out = await session.run({ x: new ort.Tensor('float32', data, shape) });
      await session.release();
      const expected = maxPoolRef({ data, dims: shape }, { kernel: attrs.kernel_shape!, strides: attrs.strides, pads: attrs.pads, dilations: attrs.dilations, ceilMode: attrs.ceil_mode === 1, autoPad: attrs.auto_pad as 'SAME_LOWER' | undefined });
      expect(out.y!.dims).toEqual(expected.y.dims);
      expect(Array.from(out.indices!.data as BigInt64Array, Number)).toEqual(expected.indices);
    }
  });
});

describe('shape rules', () => {
  const shapeOf = (op: OpName, shapes: readonly (readonly Dim[])[], attrs: Record<string, unknown> = {}, outputs = 1): Value[] => {
    const b = new GraphBuilder();
    const xs = shapes.map((s, i) => b.input(`x${i}`, 'float32', s));
    return b.opMulti(op, xs, attrs as OpAttrs<typeof op>, outputs);
  };
  const shape = (op: OpName, shapes: readonly (readonly Dim[])[], attrs: Record<string, unknown> = {}) => shapeOf(op, shapes, attrs)[0]!.shape;

  it('Conv: [N, M, out…], the batch symbolic, each auto_pad', () => {
    expect(shape('Conv', [['batch', 1, 28, 28], [32, 1, 5, 5], [32]])).toEqual(['batch', 32, 24, 24]);
    expect(shape('Conv', [['batch', 1, 28, 28], [32, 1, 5, 5]], { auto_pad: 'SAME_UPPER' })).toEqual(['batch', 32, 28, 28]);
    expect(shape('Conv', [[1, 4, 9, 8], [8, 2, 3, 2]], { strides: [2, 3], pads: [1, 0, 0, 1], group: 2 })).toEqual([1, 8, 4, 3]);
    expect(shape('Conv', [[1, 4, 9, 8], [8, 1, 3, 3]], { strides: [2, 2], dilations: [2, 2], group: 4, auto_pad: 'VALID' })).toEqual([1, 8, 3, 2]);
    expect(shape('Conv', [[1, 2, 10], [3, 2, 3]], { strides: [3], auto_pad: 'SAME_LOWER' })).toEqual([1, 3, 4]);
    expect(shape('Conv', [[1, 2, 'length'], [3, 2, 3]])).toEqual([1, 3, '?']);
  });

  it('ConvTranspose: stride·(in − 1) + output_padding + window − pads, or output_shape, or in·stride with SAME', () => {
    expect(shape('ConvTranspose', [['batch', 4, 7, 7], [4, 2, 3, 3]], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1], group: 2 })).toEqual(['batch', 4, 14, 14]);
    expect(shape('ConvTranspose', [[1, 3, 5], [3, 2, 4]], { strides: [3], auto_pad: 'SAME_LOWER' })).toEqual([1, 2, 15]);
    expect(shape('ConvTranspose', [[1, 3, 5], [3, 2, 4]], { strides: [3], output_shape: [14] })).toEqual([1, 2, 14]);
    expect(shape('ConvTranspose', [[1, 3, 5], [3, 2, 4]], { dilations: [2], auto_pad: 'VALID' })).toEqual([1, 2, 11]);
  });

  it('MaxPool and AveragePool: floor or ceil_mode (a window starting in the end padding dropped), Indices int64', () => {
    // onnx's test_maxpool_2d_ceil: [1, 1, 4, 4], kernel 3, stride 2, ceil_mode → [1, 1, 2, 2]
    const [y, indices] = shapeOf('MaxPool', [['batch', 1, 4, 4]], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 2);
    expect(y!.shape).toEqual(['batch', 1, 2, 2]);
    expect([indices!.dtype, indices!.shape]).toEqual(['int64', ['batch', 1, 2, 2]]);
    expect(shape('MaxPool', [[1, 1, 4, 4]], { kernel_shape: [3, 3], strides: [2, 2] })).toEqual([1, 1, 1, 1]);
    // 5 + 1 padding, kernel 2, stride 2, ceil: windows at 0, 2, 4; one at 6 would start in the padding
    expect(shape('AveragePool', [[1, 1, 5]], { kernel_shape: [2], strides: [2], pads: [0, 1], ceil_mode: 1 })).toEqual([1, 1, 3]);
    expect(shape('AveragePool', [[2, 3, 7, 7]], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([2, 3, 4, 4]);
    expect(shape('GlobalAveragePool', [['batch', 3, 7, 5]])).toEqual(['batch', 3, 1, 1]);
    expect(shape('GlobalMaxPool', [['batch', 3, 7]])).toEqual(['batch', 3, 1]);
  });

  it('ScatterElements and ScatterND: the data shape', () => {
    const b = new GraphBuilder();
    const data = b.input('data', 'float32', ['batch', 4]);
    const updates = b.input('updates', 'float32', [2, 4]);
    expect(b.op('ScatterElements', [data, b.constant([0, 1, 2, 3, 1, 1, 1, 1], 'int64', [2, 4]), updates], { reduction: 'add' }).shape).toEqual(['batch', 4]);
    expect(b.op('ScatterND', [data, b.constant([3, 1], 'int64', [2, 1]), updates], { reduction: 'add' }).shape).toEqual(['batch', 4]);
  });

  const misuse: [string, OpName, (readonly Dim[])[], Record<string, unknown>, RegExp][] = [
    ['Conv on a rank-2 input', 'Conv', [[3, 4], [2, 4, 1]], {}, /^node Conv_0: input 0 must be \[N, C, spatial…\] \(rank ≥ 3\), got \[3, 4\]$/],
    ['Conv channels that do not match the weight', 'Conv', [[1, 3, 5, 5], [2, 2, 3, 3]], {}, /^node Conv_0: input \[1, 3, 5, 5\] has 3 channels, the weight \[2, 2, 3, 3\] with group 1 takes 2$/],
    ['Conv output channels that do not split into the groups', 'Conv', [[1, 4, 5, 5], [3, 2, 3, 3]], { group: 2 }, /^node Conv_0: 3 channels do not split into 2 groups$/],
    ['Conv with a bias of the wrong size', 'Conv', [[1, 2, 5, 5], [3, 2, 3, 3], [2]], {}, /^node Conv_0: the bias must be \[3\], got \[2\]$/],
    ['Conv with a weight of the wrong rank', 'Conv', [[1, 2, 5, 5], [3, 2, 3]], {}, /^node Conv_0: the weight must have rank 4 with static kernel sizes, got \[3, 2, 3\]$/],
    ['Conv with kernel_shape disagreeing with the weight', 'Conv', [[1, 2, 5, 5], [3, 2, 3, 3]], { kernel_shape: [3, 2] }, /^node Conv_0: kernel_shape \[3, 2\] does not match the weight \[3, 2, 3, 3\]$/],
    ['Conv with pads of the wrong length', 'Conv', [[1, 2, 5, 5], [3, 2, 3, 3]], { pads: [1, 1] }, /^node Conv_0: pads must be 4 integers ≥ 0, got \[1, 1\]$/],
    ['Conv with stride 0', 'Conv', [[1, 2, 5, 5], [3, 2, 3, 3]], { strides: [0, 1] }, /^node Conv_0: strides must be 2 integers ≥ 1, got \[0, 1\]$/],
    ['Conv with an unknown auto_pad', 'Conv', [[1, 2, 5, 5], [3, 2, 3, 3]], { auto_pad: 'SAME' }, /^node Conv_0: auto_pad must be one of NOTSET, SAME_UPPER, SAME_LOWER, VALID, got 'SAME'$/],
    ['Conv with a window larger than the padded input', 'Conv', [[1, 2, 3, 5], [3, 2, 3, 3]], { dilations: [2, 1] }, /^node Conv_0: the window \(5 wide along spatial axis 0\) is larger than the padded input \(3\)$/],
    ['ConvTranspose channels that do not match the weight', 'ConvTranspose', [[1, 3, 5], [2, 2, 3]], {}, /^node ConvTranspose_0: input \[1, 3, 5\] has 3 channels, the weight \[2, 2, 3\] takes 2$/],
    ['ConvTranspose with an output_shape past the full output', 'ConvTranspose', [[1, 2, 5], [2, 2, 3]], { output_shape: [8] }, /^node ConvTranspose_0: output size 8 along spatial axis 0 exceeds the full transposed convolution \(7\)$/],
    ['ConvTranspose with pads that leave nothing', 'ConvTranspose', [[1, 2, 1], [2, 2, 2]], { pads: [1, 1] }, /^node ConvTranspose_0: pads 1 \+ 1 leave no output along spatial axis 0 \(full size 2\)$/],
    ['MaxPool without kernel_shape', 'MaxPool', [[1, 2, 5, 5]], {}, /^node MaxPool_0: kernel_shape is required$/],
    ['AveragePool with a kernel_shape of the wrong length', 'AveragePool', [[1, 2, 5, 5]], { kernel_shape: [2] }, /^node AveragePool_0: kernel_shape must be 2 integers ≥ 1 for input \[1, 2, 5, 5\], got \[2\]$/],
    ['GlobalMaxPool on a rank-2 input', 'GlobalMaxPool', [[2, 5]], {}, /^node GlobalMaxPool_0: input 0 must be \[N, C, spatial…\] \(rank ≥ 3\), got \[2, 5\]$/],
  ];
  for (const [what, op, shapes, attrs, message] of misuse) {
    it(`throws for ${what}`, () => expect(() => shapeOf(op, shapes, attrs)).toThrow(message));
  }

  it('throws for Scatter misuse: float indices, updates of the wrong shape, an unknown reduction', () => {
    const b = new GraphBuilder();
    const data = b.input('data', 'float32', [5, 4]);
    const updates = b.input('updates', 'float32', [2, 4]);
    expect(() => b.op('ScatterND', [data, b.constant([1, 2], 'float32', [2, 1]), updates])).toThrow(/^node ScatterND_0: indices must be int64, got float32$/);
    expect(() => b.op('ScatterND', [data, b.constant([1, 2, 3], 'int64', [3, 1]), updates])).toThrow(/^node ScatterND_1: updates must be \[3, 4\], got \[2, 4\]$/);
    expect(() => b.op('ScatterND', [data, b.constant([1, 2, 3], 'int64', [1, 3]), updates])).toThrow(/^node ScatterND_2: indices \[1, 3\] must end in a static index length ≤ the rank of data \[5, 4\]$/);
    expect(() => b.op('ScatterElements', [data, b.constant([1, 2], 'int64', [2]), updates])).toThrow(/^node ScatterElements_0: indices \[2\] and updates \[2, 4\] must have one shape, of the rank of data \[5, 4\]$/);
    expect(() => b.op('ScatterElements', [data, b.constant(new Array(8).fill(0), 'int64', [2, 4]), updates], { reduction: 'sum' })).toThrow(/^node ScatterElements_1: reduction must be one of none, add, mul, max, min, got 'sum'$/);
  });
});

describe('which formulation each rule takes (so that the reference cases above check every one)', () => {
  /** The ops of the graph computing the gradient of input `wrt` of a reference case's node. */
  function gradientGraph(op: OpName, c: Pick<ReferenceCase, 'shapes' | 'options'>, wrt: number): { ops: string[]; matMulShapes: (readonly Dim[])[] } {
    const b = new GraphBuilder();
    const xs = c.shapes.map((shape, i) => b.input(`x${i}`, 'float32', c.options.symbolicBatch?.includes(i) ? ['batch', ...shape.slice(1)] : shape));
    const [out] = b.opMulti(op, xs, (c.options.attrs ?? {}) as OpAttrs<typeof op>, c.options.outputs ?? 1);
    b.output(gradients(b, b.op('ReduceSum', [out!], { keepdims: 0 }), [xs[wrt]!])[0]!, 'result');
    const nodes = b.close('g').nodes.filter((n) => n.name.startsWith('grad/') && !n.name.startsWith('grad/ReduceSum'));
    return { ops: nodes.map((n) => n.op), matMulShapes: nodes.filter((n) => n.op === 'MatMul').map((n) => n.outputs[0]!.shape) };
  }
  const caseOf = (op: keyof typeof referenceCases, shapes: number[][], attrs: Record<string, unknown>): ReferenceCase => {
    const found = (referenceCases[op] as readonly ReferenceCase[]).find((c) => JSON.stringify(c.shapes) === JSON.stringify(shapes) && JSON.stringify(c.options.attrs) === JSON.stringify(attrs));
    if (!found) throw new Error(`no ${op} reference case ${JSON.stringify(shapes)} ${JSON.stringify(attrs)}`);
    return found;
  };

  it('Conv dX: a Conv with the flipped kernel at stride 1 with ≥ 32 input channels per group or depthwise, else a ConvTranspose', () => {
    const flipped = [
      caseOf('Conv', [[1, 32, 4, 5], [2, 32, 3, 2], [2]], { pads: [1, 0, 2, 1], dilations: [1, 2] }),
      caseOf('Conv', [[1, 64, 4, 4], [2, 32, 3, 3]], { group: 2, auto_pad: 'SAME_LOWER' }),
      caseOf('Conv', [[2, 32, 9], [2, 32, 3], [2]], { dilations: [2], pads: [3, 1] }),
      caseOf('Conv', [[1, 32, 3, 3, 3], [2, 32, 2, 3, 2]], { pads: [1, 1, 0, 0, 1, 1] }),
      caseOf('Conv', [[2, 32, 4, 4], [2, 32, 3, 3], [2]], { auto_pad: 'SAME_UPPER' }),
      caseOf('Conv', [[2, 4, 9, 9], [4, 1, 3, 3]], { group: 4, dilations: [2, 2], pads: [2, 1, 1, 2] }),
    ];
    for (const c of flipped) expect(gradientGraph('Conv', c, 0).ops).toEqual(['Reshape', 'Transpose', 'Reshape', 'Gather', 'Reshape', 'Conv']);
    const transposed = [
      caseOf('Conv', [[1, 32, 4, 4], [2, 32, 3, 3]], { pads: [3, 1, 1, 3] }),
      caseOf('Conv', [[2, 3, 7, 7], [4, 3, 3, 3], [4]], {}),
      caseOf('Conv', [[2, 3, 8, 8], [4, 3, 3, 3], [4]], { strides: [2, 2], pads: [1, 1, 1, 1] }),
    ];
    for (const c of transposed) expect(gradientGraph('Conv', c, 0).ops).toEqual(['ConvTranspose']);
  });

  it('Conv and ConvTranspose dW: patches and a batched MatMul (transposing the smaller operand), or the swapped convolution for depthwise, 3-D and over-budget layers', () => {
    // patches [N, g, C/g·taps, L] · dYᵀ: the product is [N, g, C/g·taps, M/g]
    expect(gradientGraph('Conv', caseOf('Conv', [[2, 3, 7, 7], [4, 3, 3, 3], [4]], {}), 1).matMulShapes).toEqual([[2, 1, 27, 4]]);
    expect(gradientGraph('Conv', caseOf('Conv', [[1, 4, 8, 7], [4, 2, 3, 2], [4]], { strides: [2, 3], group: 2, pads: [1, 0, 2, 1] }), 1).matMulShapes).toEqual([[1, 2, 12, 2]]);
    expect(gradientGraph('Conv', caseOf('Conv', [[3, 4, 7, 7], [6, 2, 3, 3], [6]], { strides: [2, 2], group: 2, pads: [1, 1, 1, 1] }), 1).matMulShapes).toEqual([['batch', 2, 18, 3]]);
    // dY · patchesᵀ when there are more output channels than input channels × taps: [N, g, M/g, C/g·taps]
    expect(gradientGraph('Conv', caseOf('Conv', [[2, 2, 7, 6], [9, 2, 1, 2], [9]], { strides: [2, 1], dilations: [1, 2], pads: [0, 1, 1, 0] }), 1).matMulShapes).toEqual([[2, 1, 9, 4]]);
    expect(gradientGraph('Conv', caseOf('Conv', [[2, 2, 9], [6, 1, 1]], { strides: [4], group: 2 }), 1).matMulShapes).toEqual([[2, 2, 3, 1]]);
    expect(gradientGraph('ConvTranspose', caseOf('ConvTranspose', [[2, 3, 4, 4], [3, 2, 3, 3], [2]], {}), 1).matMulShapes).toEqual([[2, 1, 18, 3]]);
    // depthwise: the swapped convolution, no MatMul
    for (const [op, c] of [
      ['Conv', caseOf('Conv', [[2, 4, 9, 9], [4, 1, 3, 3]], { group: 4, dilations: [2, 2], pads: [2, 1, 1, 2] })],
      ['Conv', caseOf('Conv', [[3, 2, 6, 5], [2, 1, 3, 3]], { group: 2, auto_pad: 'SAME_UPPER' })],
      ['ConvTranspose', caseOf('ConvTranspose', [[2, 3, 4, 4], [3, 1, 3, 3]], { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] })],
    ] as const) {
      const { ops: emitted } = gradientGraph(op, c, 1);
      expect(emitted).not.toContain('MatMul');
      expect(emitted.filter((o) => o === 'Conv')).toHaveLength(1);
    }
    // 3-D, and 64 channels × 9 taps × 64·64 positions per item (over the patch budget): the swapped convolution
    expect(gradientGraph('Conv', caseOf('Conv', [[1, 32, 3, 3, 3], [2, 32, 2, 3, 2]], { pads: [1, 1, 0, 0, 1, 1] }), 1).ops).not.toContain('MatMul');
    const large = gradientGraph('Conv', { shapes: [[1, 64, 64, 64], [8, 64, 3, 3]], options: { attrs: { pads: [1, 1, 1, 1] } } }, 1);
    expect(large.ops).not.toContain('MatMul');
  });

  it('MaxPool: the mask rule where the windows tile the input, the tap-kernel convolutions otherwise', () => {
    // Y and dY / ties each spread over the windows (a MatMul along the last axis, Reshape–Expand–Reshape along the others); ties from the mask's AveragePool
    const maskRule = (spread: string[]) => [...spread, 'Equal', 'Cast', 'AveragePool', 'Mul', 'Floor', 'Div', ...spread, 'Mul'];
    const [lastAxis, otherAxes] = [['MatMul'], ['Reshape', 'Expand', 'Reshape']];
    const tiled: [number[][], Record<string, unknown>, string[]][] = [
      [[[2, 3, 8]], { kernel_shape: [4], strides: [4] }, maskRule(lastAxis)],
      [[[1, 2, 6, 5]], { kernel_shape: [2, 1], strides: [2, 1] }, maskRule(otherAxes)],
      [[[1, 2, 6, 6]], { kernel_shape: [3, 2], strides: [3, 2] }, maskRule([...lastAxis, ...otherAxes])],
      [[[1, 2, 4, 6]], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER', ceil_mode: 1 }, maskRule([...lastAxis, ...otherAxes])],
      [[[1, 2, 4, 2, 6]], { kernel_shape: [2, 1, 3], strides: [2, 1, 3] }, maskRule([...lastAxis, ...otherAxes])],
      [[[3, 2, 6, 6]], { kernel_shape: [2, 2], strides: [2, 2] }, maskRule([...lastAxis, ...otherAxes])],
      [[[1, 2, 4, 4, 4]], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }, maskRule([...lastAxis, ...otherAxes])],
    ];
    for (const [shapes, attrs, expected] of tiled) expect(gradientGraph('MaxPool', caseOf('MaxPool', shapes, attrs), 0).ops.filter((o) => o !== 'Shape')).toEqual(expected);
    // sizes not multiples of the kernel, overlapping windows, padding, dilations: the tap rule, the mask times a constant where taps land outside the input
    const tapRule = (outside: boolean) => ['Reshape', 'Conv', 'Reshape', 'Equal', 'Cast', ...(outside ? ['Mul'] : []), 'ReduceSum', 'Reshape', 'Div', 'Mul', 'ConvTranspose', 'Reshape'];
    for (const [shapes, attrs, outside] of [
      [[[2, 2, 5, 5]], { kernel_shape: [2, 2], strides: [2, 2] }, false],
      [[[1, 2, 7, 6]], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' }, false],
      [[[1, 2, 7, 7]], { kernel_shape: [2, 2], dilations: [2, 2] }, false],
      [[[1, 2, 6, 6]], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, true],
      [[[1, 2, 5, 5]], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, true],
    ] as [number[][], Record<string, unknown>, boolean][]) {
      expect(gradientGraph('MaxPool', caseOf('MaxPool', shapes, attrs), 0).ops.filter((o) => o !== 'Shape')).toEqual(tapRule(outside));
    }
  });
});

describe('tied maxima share the gradient equally (MaxPool, GlobalMaxPool)', () => {
  /** dX of Σ op(x)·dY on onnxruntime's CPU provider; the batch symbolic with `symbolic`, the spatial sizes too with 'all'. */
  async function poolGradient(op: 'MaxPool' | 'GlobalMaxPool', shape: number[], attrs: OpAttrs<'MaxPool'> | undefined, x: readonly number[], dy: readonly number[], symbolic?: 'batch' | 'all'): Promise<number[]> {
    const b = new GraphBuilder();
    const declared = symbolic === 'all' ? ['batch', shape[1]!, ...shape.slice(2).map((_, i) => `size${i}`)] : symbolic === 'batch' ? ['batch', ...shape.slice(1)] : shape;
    const input = b.input('x', 'float32', declared);
    const pooled = op === 'MaxPool' ? b.op('MaxPool', [input], attrs!) : b.op('GlobalMaxPool', [input]);
    const weights = b.input('dy', 'float32', pooled.shape);
    b.output(gradients(b, b.op('ReduceSum', [b.op('Mul', [pooled, weights])], { keepdims: 0 }), [input])[0]!, 'dx');
    const graph = b.close('ties');
    const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: b.initializersOf(graph) }));
    const pooledDims = [shape[0]!, shape[1]!, ...(op === 'GlobalMaxPool' ? shape.slice(2).map(() => 1) : (pooled.shape.slice(2) as number[]))];
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), shape), dy: new ort.Tensor('float32', Float32Array.from(dy), pooledDims) });
    await session.release();
    return Array.from(out.dx!.data as Float32Array);
  }

  describe('truth tables (each of a window’s k maxima gets dY / k)', () => {
    it('windows tiling the input (the mask rule), 2-D: 4, 3 and 1 maxima', async () => {
      // windows {0,0,0,0} → 8 / 4; {2,2,2,1} → 9 / 3 to the 2s; {1,-4,7,3} → 5 to the 7
      const x = [0, 0, 2, 2, 1, -4, 0, 0, 2, 1, 7, 3];
      expect(await poolGradient('MaxPool', [1, 1, 2, 6], { kernel_shape: [2, 2], strides: [2, 2] }, x, [8, 9, 5])).toEqual([2, 2, 3, 3, 0, 0, 2, 2, 3, 0, 5, 0]);
    });

    it('windows tiling the input, 1-D (two channels, a symbolic batch) and 3-D', async () => {
      // channel 0: {1,1,1} → 3 / 3, {0,2,2} → 4 / 2; channel 1: {-1,-1,-3} → 10 / 2, {5,4,3} → 7
      const x = [1, 1, 1, 0, 2, 2, -1, -1, -3, 5, 4, 3];
      expect(await poolGradient('MaxPool', [1, 2, 6], { kernel_shape: [3], strides: [3] }, x, [3, 4, 10, 7], 'batch')).toEqual([1, 1, 1, 0, 2, 2, 5, 5, 0, 7, 0, 0]);
      expect(await poolGradient('MaxPool', [1, 1, 2, 2, 2], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }, new Array(8).fill(0.5), [16])).toEqual(new Array(8).fill(2));
    });

    it('windows tiling the input: k exact where the mask’s mean × taps is a rounding off (7 of 13 above it, 15 of 29 below)', async () => {
      // float32: 7 / 13 · 13 = 7.0000005 and 15 / 29 · 29 = 14.999999; alternating 1s and 0s, (n + 1) / 2 maxima, each dY / k exactly
      for (const [n, dy] of [[13, 21], [29, 30]] as const) {
        const x = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
        expect(await poolGradient('MaxPool', [1, 1, n], { kernel_shape: [n], strides: [n] }, x, [dy])).toEqual(x.map((v) => (v * dy) / ((n + 1) / 2)));
      }
    });

    it('overlapping windows (the tap-kernel rule): an element tied in two windows gets its share of each', async () => {
      // windows {1,3,0,3} → 6 / 2 to both 3s; {3,3,3,1} → 9 / 3 to the three 3s; {0,3,2,2} → 11 and {3,1,2,0} → 13 to the centre
      const x = [1, 3, 3, 0, 3, 1, 2, 2, 0];
      expect(await poolGradient('MaxPool', [1, 1, 3, 3], { kernel_shape: [2, 2] }, x, [6, 9, 11, 13])).toEqual([0, 6, 3, 0, 30, 0, 0, 0, 0]);
    });

    it('padding taps are not maxima, even where the max is 0 (1-D, pads 1)', async () => {
      // windows [pad,0,0] → 2 / 2; [0,0,-1] → 4 / 2; [0,-1,0] → 6 / 2; [-1,0,pad] → 8 to the last 0
      expect(await poolGradient('MaxPool', [1, 1, 4], { kernel_shape: [3], pads: [1, 1] }, [0, 0, -1, 0], [2, 4, 6, 8])).toEqual([3, 6, 0, 11]);
    });

    it('ceil_mode windows overhanging the input split dY among their elements inside it (2-D, all zeros)', async () => {
      // 3×3 zeros, 2×2 windows at stride 2: 4, 2, 2 and 1 elements inside
      expect(await poolGradient('MaxPool', [1, 1, 3, 3], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, new Array(9).fill(0), [4, 6, 10, 7])).toEqual([1, 1, 3, 1, 1, 3, 5, 5, 7]);
    });

    it('GlobalMaxPool: per plane, 2-D and 1-D over symbolic sizes', async () => {
      expect(await poolGradient('GlobalMaxPool', [1, 2, 2, 2], undefined, [3, 1, 3, 3, 0, -1, -2, -3], [9, 5])).toEqual([3, 0, 3, 3, 5, 0, 0, 0]);
      expect(await poolGradient('GlobalMaxPool', [1, 1, 4], undefined, [-2, -2, -2, -2], [8], 'all')).toEqual([2, 2, 2, 2]);
    });
  });

  /**
   * Inputs in {-1, 0, 1} (ties everywhere, windows at the padding whose max is 0) and each dY a
   * multiple of 27720 = lcm(1…12), so that every share dY / k and every sum of shares is a whole
   * number, exact in float32: the results must equal the float64 truth exactly.
   */
  describe('on tie-heavy inputs: the equal split of maxPoolWindowsRef’s windows, and per window the maxima’s gradients sum to dY', () => {
    const sweep: [string, number[], OpAttrs<'MaxPool'> | 'global'][] = [
      ['tiling 1-D', [2, 3, 8], { kernel_shape: [4], strides: [4] }],
      ['tiling 2-D', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
      ['tiling 2-D, non-square', [1, 2, 6, 6], { kernel_shape: [3, 2], strides: [3, 2] }],
      ['tiling 3-D', [1, 2, 4, 2, 6], { kernel_shape: [2, 1, 3], strides: [2, 1, 3] }],
      ['non-overlapping, sizes not multiples of the kernel', [2, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2] }],
      ['non-overlapping, ceil_mode', [1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }],
      ['overlapping, padded', [1, 2, 6, 6], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }],
      ['overlapping, stride 2, padded', [2, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
      ['overlapping, asymmetric pads, ceil_mode', [1, 2, 7, 6], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 0, 1], ceil_mode: 1 }],
      ['dilated', [1, 2, 7, 7], { kernel_shape: [2, 2], dilations: [2, 2] }],
      ['1-D SAME_UPPER', [2, 3, 9], { kernel_shape: [3], strides: [2], auto_pad: 'SAME_UPPER' }],
      ['1-D kernel 5, pads 2', [2, 2, 8], { kernel_shape: [5], strides: [3], pads: [2, 2] }],
      ['GlobalMaxPool 2-D', [2, 3, 3, 4], 'global'],
      ['GlobalMaxPool 1-D', [1, 2, 7], 'global'],
      ['GlobalMaxPool 3-D', [1, 2, 2, 2, 3], 'global'],
    ];
    sweep.forEach(([what, shape, attrs], i) => {
      it(`${what}: ${JSON.stringify(shape)} ${JSON.stringify(attrs)}`, async () => {
        const next = seededUniform(300 + i);
        const x = Array.from({ length: elementCount(shape) }, () => Math.floor(3 * next()) - 1);
        const options = attrs === 'global' ? { kernel: shape.slice(2) } : { kernel: attrs.kernel_shape!, strides: attrs.strides, pads: attrs.pads, dilations: attrs.dilations, ceilMode: attrs.ceil_mode === 1, autoPad: attrs.auto_pad as 'SAME_UPPER' | undefined };
        const windows = maxPoolWindowsRef({ data: Float64Array.from(x), dims: shape }, options);
        const dy = windows.map(() => 27720 * (1 + Math.floor(4 * next())));
        const dx = await poolGradient(attrs === 'global' ? 'GlobalMaxPool' : 'MaxPool', shape, attrs === 'global' ? undefined : attrs, x, dy);
        const expected = new Array<number>(x.length).fill(0);
        windows.forEach(({ maxima }, o) => maxima.forEach((cell) => (expected[cell]! += dy[o]! / maxima.length)));
        expect(dx).toEqual(expected);
        // the test exercises ties: windows with several maxima
        expect(windows.some((w) => w.maxima.length > 1)).toBe(true);
        // each window passes on exactly dY: overall, and per window where no element is in two windows
        expect(dx.reduce((s, v) => s + v, 0)).toBe(dy.reduce((s, v) => s + v, 0));
        const owners = new Array<number>(x.length).fill(0);
        windows.forEach(({ cells }) => cells.forEach((cell) => owners[cell]!++));
        if (owners.every((n) => n <= 1)) windows.forEach(({ maxima }, o) => expect(maxima.reduce((s, cell) => s + dx[cell]!, 0)).toBe(dy[o]));
      });
    });
  });
});

describe('gradient rule errors', () => {
  const lossOf = (b: GraphBuilder, v: Value) => b.op('ReduceSum', [v], { keepdims: 0 });

  it('Conv over symbolic spatial sizes has no gradient rule (the transposed conv needs static sizes)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 2, 'length']);
    const w = b.input('w', 'float32', [3, 2, 3]);
    expect(() => gradients(b, lossOf(b, b.op('Conv', [x, w])), [w])).toThrow(/^no gradient rule for op Conv over symbolic spatial sizes \[length\] \(node Conv_0\)$/);
  });
});
