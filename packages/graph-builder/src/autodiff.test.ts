import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gradients } from './autodiff.js';
import { emitLoss } from './losses.js';
import { GraphBuilder } from './ir/builder.js';
import type { Value } from './ir/types.js';
import { onnxDataType } from './onnx/dtypes.js';
import { serializeModel } from './onnx/serialize.js';
import { ops, type OpName } from './ops/index.js';
import { checkGradient, type Domain, type GradCheckOptions } from './testing/gradcheck.js';
import { referenceCases } from './testing/spatial-cases.js';

type Case = readonly [shapes: readonly (readonly number[])[], options?: GradCheckOptions];

const BINARY_SHAPES: readonly (readonly number[])[][] = [
  [[3, 4], [3, 4]],
  [[3, 4], [4]],
  [[4], [3, 4]],
  [[3, 1], [1, 4]],
  [[2, 3, 4], [3, 4]],
  [[1, 4], [1, 4]],
  [[3, 4], []],
];
const UNARY_SHAPES: readonly (readonly number[])[][] = [[[3, 4]], [[1, 4]], [[2, 3, 4]]];

const int64 = (b: GraphBuilder, v: readonly number[]) => b.constant(v, 'int64');
const twice = (b: GraphBuilder, [x]: readonly Value[]) => [x!, x!];
const binary = (options: GradCheckOptions = {}): Case[] => [...BINARY_SHAPES.map((s): Case => [s, options]), [[[3, 4]], { ...options, args: twice }]];
const unary = (options: GradCheckOptions = {}): Case[] => UNARY_SHAPES.map((s): Case => [s, options]);
/** x in ±[0.1, 0.4] ∪ ±[0.6, 2): away from the clip bounds ±0.5. */
const awayFromHalf: Domain = (u) => (u < 0.5 ? -1 : 1) * (((2 * u) % 1) < 0.2 ? 0.1 + 1.5 * ((2 * u) % 1) : 0.6 + 1.75 * (((2 * u) % 1) - 0.2));
const reduce = (): Case[] => [
  [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [1])], attrs: { keepdims: 0 } }],
  [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [1])], attrs: { keepdims: 1 } }],
  [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [-2])], attrs: { keepdims: 0 } }],
  [[[2, 3, 4]], { args: (b, [x]) => [x!, int64(b, [0, 2])], attrs: { keepdims: 0 } }],
  [[[2, 3, 4]], { args: (b, [x]) => [x!, int64(b, [2, 0])], attrs: { keepdims: 1 } }],
  [[[2, 3, 4]], { attrs: { keepdims: 0 } }],
  [[[2, 3, 4]], { attrs: { keepdims: 1 } }],
  [[[1, 4]], { args: (b, [x]) => [x!, int64(b, [0])], attrs: { keepdims: 0 } }],
];
const boolConst = (b: GraphBuilder, dims: readonly number[]) =>
  b.constant(Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), 'bool', dims);

/**
 * Every op with a gradient rule, checked against finite differences at several shapes
 * (broadcasting, batch 1) and with a value used twice.
 */
const checks = {
  Add: binary(),
  Sub: binary(),
  Mul: binary(),
  Div: binary({ domain: ['any', 'nonzero'] }),
  Pow: binary({ domain: ['positive', 'any'] }),
  Neg: unary(),
  Tanh: unary(),
  Sigmoid: unary(),
  Relu: unary({ domain: 'nonzero' }),
  LeakyRelu: [...unary({ domain: 'nonzero' }), [[[3, 4]], { domain: 'nonzero', attrs: { alpha: 0.3 } }]],
  Softplus: unary(),
  Exp: unary(),
  Log: unary({ domain: 'positive' }),
  Sqrt: unary({ domain: 'positive' }),
  Abs: unary({ domain: 'nonzero' }),
  // onnxruntime has no float64 Erf kernel: checked in float32 (see gradcheck.ts for the tolerance).
  Erf: unary({ dtype: 'float32' }),
  Softmax: [[[[3, 4]]], [[[3, 4]], { attrs: { axis: 0 } }], [[[2, 3, 4]], { attrs: { axis: 1 } }], [[[1, 4]], { attrs: { axis: -1 } }]],
  LogSoftmax: [[[[3, 4]]], [[[3, 4]], { attrs: { axis: 0 } }], [[[2, 3, 4]], { attrs: { axis: 1 } }], [[[1, 4]], { attrs: { axis: -1 } }]],
  MatMul: [
    [[[3, 4], [4, 5]]],
    [[[1, 4], [4, 2]]],
    [[[2, 3, 4], [4, 5]]],
    [[[3, 4], [2, 4, 5]]],
    [[[2, 3, 4], [2, 4, 5]]],
    [[[3, 3]], { args: twice }],
  ],
  Concat: [
    [[[3, 2], [3, 4]], { attrs: { axis: 1 } }],
    [[[2, 4], [3, 4]], { attrs: { axis: 0 } }],
    [[[2, 1, 4], [2, 3, 4], [2, 2, 4]], { attrs: { axis: -2 } }],
    [[[1, 2], [1, 3]], { attrs: { axis: 1 } }],
    [[[3, 4]], { attrs: { axis: 1 }, args: twice }],
  ],
  Reshape: [
    [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [2, 6])] }],
    [[[2, 3, 4]], { args: (b, [x]) => [x!, int64(b, [-1, 4])] }],
    [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [12])] }],
    [[[2, 3, 4]], { args: (b, [x]) => [x!, int64(b, [0, 12])] }],
  ],
  Transpose: [[[[3, 4]]], [[[2, 3, 4]], { attrs: { perm: [1, 2, 0] } }], [[[1, 4]], { attrs: { perm: [1, 0] } }]],
  Unsqueeze: [
    [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [0])] }],
    [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [1, -1])] }],
  ],
  Expand: [
    [[[3, 1]], { args: (b, [x]) => [x!, int64(b, [3, 4])] }],
    [[[4]], { args: (b, [x]) => [x!, int64(b, [2, 3, 4])] }],
    [[[1, 4]], { args: (b, [x]) => [x!, int64(b, [3, 4])] }],
    [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [3, 4])] }],
  ],
  ReduceSum: reduce(),
  ReduceMean: reduce(),
  Identity: unary(),
  Cast: unary({ attrs: { to: onnxDataType.float64 } }),
  Clip: [
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(-0.5, 'float64'), b.constant(0.5, 'float64')], domain: awayFromHalf }],
    [[[2, 3, 4]], { args: (b, [x]) => [x!, b.constant(-0.5, 'float64')], domain: awayFromHalf }],
    [[[1, 4]], { args: (b, [x]) => [x!, b.constant(-0.5, 'float64'), b.constant(0.5, 'float64')], domain: awayFromHalf }],
    // min and max are optional inputs
    [[[3, 4]], { args: (b, [x]) => [x!, null, b.constant(0.5, 'float64')], domain: awayFromHalf }],
    [[[3, 4]], { args: (b, [x]) => [x!] }],
  ],
  Where: [
    [[[3, 4], [3, 4]], { args: (b, [x, y]) => [boolConst(b, [3, 4]), x!, y!] }],
    [[[4], [3, 1]], { args: (b, [x, y]) => [boolConst(b, [3, 4]), x!, y!] }],
    [[[2, 3, 4], [3, 4]], { args: (b, [x, y]) => [boolConst(b, [4]), x!, y!] }],
    [[[3, 4]], { args: (b, [x]) => [boolConst(b, [3, 4]), x!, x!] }],
  ],
  // Ratio 0 in training mode keeps every element: deterministic. The rule with a random mask is checked below.
  Dropout: [
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(0, 'float64'), b.constant(1, 'bool')], outputs: 2 }],
    [[[1, 4]], { args: (b, [x]) => [x!, b.constant(0, 'float64'), b.constant(1, 'bool')], outputs: 2 }],
    // training mode off (given as false, or left out): the identity, whatever the ratio
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(0.5, 'float64'), b.constant(0, 'bool')], outputs: 2 }],
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(0.5, 'float64')] }],
  ],
  // Embedding lookups (axis 0, repeated indices), other axes, negative, scalar and int32 indices.
  Gather: [
    [[[5, 3]], { args: (b, [x]) => [x!, b.constant([4, 0, 4, 1, 1, 2], 'int64', [2, 3])] }],
    [[[3, 5]], { args: (b, [x]) => [x!, b.constant([-1, 0, 3, -1], 'int64')], attrs: { axis: 1 } }],
    [[[2, 4, 3]], { args: (b, [x]) => [x!, b.constant([3, 1, 1, 0], 'int64', [2, 2])], attrs: { axis: -2 } }],
    [[[4, 3]], { args: (b, [x]) => [x!, b.constant(2, 'int64')] }],
    [[[2, 4, 3]], { args: (b, [x]) => [x!, b.constant(-1, 'int64')], attrs: { axis: 2 } }],
    [[[4, 3]], { args: (b, [x]) => [x!, b.constant([3, 3, 0], 'int32')] }],
    [[[1, 3]], { args: (b, [x]) => [x!, b.constant([0, 0], 'int64')] }],
  ],
} satisfies Partial<Record<OpName, readonly Case[]>>;

/** Ops the reverse pass must refuse (no gradient rule): comparisons, integer-valued and shape ops, Sign, Max, Loop. */
const nonDifferentiable: readonly OpName[] = ['Sign', 'Shape', 'Size', 'Slice', 'Greater', 'Less', 'Equal', 'Max', 'Not', 'ArgMax', 'OneHot', 'Loop', 'ScatterElements', 'ScatterND'];

const label = ([shapes, options]: Case) => {
  const extra = [
    options?.args === twice ? 'used twice' : '',
    options?.attrs ? JSON.stringify(options.attrs) : '',
    options?.args && options.args !== twice ? 'with constants' : '',
    options?.dtype ?? '',
  ].filter(Boolean);
  return `${shapes.map((s) => `[${s.join(',')}]`).join(' ')}${extra.length ? ` ${extra.join(' ')}` : ''}`;
};

describe('gradient rules match central finite differences (float64, 1e-6)', () => {
  for (const [op, cases] of Object.entries(checks) as [OpName, readonly Case[]][]) {
    cases.forEach((c, i) => {
      it(`${op} ${label(c)}`, async () => {
        const { checked } = await checkGradient(op, c[0], { seed: 100 + i, ...c[1] });
        expect(checked).toBe(c[0].reduce((n, s) => n + s.reduce((a, d) => a * d, 1), 0));
      });
    });
  }

  it('composite: Tanh(x·y) + Sigmoid(x) / y, x and y each used twice', async () => {
    await checkGradient(
      (b, [x, y]) => b.op('Add', [b.op('Tanh', [b.op('Mul', [x!, y!])]), b.op('Div', [b.op('Sigmoid', [x!]), y!])]),
      [[3, 4], [4]],
      { domain: ['any', 'nonzero'] },
    );
  });

  it('composite: LogSoftmax(MatMul(x, w) + bias) through a Reshape, as a dense layer with a loss', async () => {
    await checkGradient(
      (b, [x, w, bias]) => b.op('Reshape', [b.op('LogSoftmax', [b.op('Add', [b.op('MatMul', [x!, w!]), bias!])], { axis: -1 }), b.constant([-1], 'int64')]),
      [[2, 3], [3, 4], [4]],
    );
  });

  it('composite: the same Exp output read by three nodes', async () => {
    await checkGradient((b, [x]) => {
      const e = b.op('Exp', [x!]);
      return b.op('Sub', [b.op('Mul', [e, e]), b.op('ReduceMean', [e, b.constant([1], 'int64')], { keepdims: 1 })]);
    }, [[3, 4]]);
  });

  it('Dropout with ratio 0.5 in training mode: the gradient is dy·mask/(1 − ratio), mask from the same run', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', [4, 5]);
    const [y, mask] = b.opMulti('Dropout', [x, b.constant(0.5, 'float64'), b.constant(1, 'bool')], {}, 2);
    const w = Array.from({ length: 20 }, (_, i) => (i % 7) - 3);
    const loss = b.op('ReduceSum', [b.op('Mul', [y!, b.constant(w, 'float64', [4, 5])])], { keepdims: 0 });
    const [g] = gradients(b, loss, [x]);
    b.output(g!, 'g');
    b.output(mask!, 'mask');
    const graph = b.close('dropout');
    const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: b.initializersOf(graph) }));
    const out = await session.run({ x: new ort.Tensor('float64', Float64Array.from({ length: 20 }, (_, i) => i / 10 - 1), [4, 5]) });
    await session.release();
    const kept = Array.from(out.mask!.data as Uint8Array | boolean[], Boolean);
    expect(kept.some((k) => k) && kept.some((k) => !k)).toBe(true);
    expect(Array.from(out.g!.data as Float64Array, (v) => v + 0)).toEqual(w.map((wi, i) => (kept[i] ? wi / 0.5 : 0)));
  });
});

describe('losses fused with their output activation (custom gradient rules)', () => {
  // y is a fixed target; the loss (a scalar) is multiplied by the helper's random weight.
  const target = (b: GraphBuilder, dims: number[], values: (i: number) => number) =>
    b.constant(Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => values(i)), 'float64', dims);

  it('binary cross-entropy from the logits of a sigmoid output', async () => {
    await checkGradient((b, [z]) => emitLoss(b, { name: 'binary_cross_entropy', fromLogits: false }, b.op('Sigmoid', [z!]), target(b, [5, 1], (i) => i % 2)), [[5, 1]]);
  });

  it('categorical cross-entropy from the logits of a softmax output (one-hot targets)', async () => {
    await checkGradient((b, [z]) => emitLoss(b, { name: 'categorical_cross_entropy', fromLogits: false }, b.op('Softmax', [z!], { axis: -1 }), target(b, [4, 3], (i) => Number(i % 3 === Math.floor(i / 3) % 3))), [[4, 3]]);
  });

  it('categorical cross-entropy with soft labels (rows not summing to 1)', async () => {
    await checkGradient((b, [z]) => emitLoss(b, { name: 'categorical_cross_entropy', fromLogits: false }, b.op('Softmax', [z!], { axis: -1 }), target(b, [2, 3, 3], (i) => (i % 4) / 4)), [[2, 3, 3]]);
  });

  it('a Dropout node made without its mask output has no gradient rule in training mode', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', [3, 4]);
    const y = b.op('Dropout', [x, b.constant(0.5, 'float64'), b.constant(1, 'bool')]);
    expect(() => gradients(b, b.op('ReduceSum', [y], { keepdims: 0 }), [x])).toThrow(/^no gradient rule for op Dropout without its mask output \(node Dropout_0\)$/);
  });
});

describe('checkGradient has teeth', () => {
  it('a wrong rule (Tanh given the Sigmoid rule, y(1 − y) for 1 − y²) is reported', async () => {
    const table = ops as Record<string, unknown>;
    const original = ops.Tanh;
    table.Tanh = { ...original, vjp: ops.Sigmoid.vjp };
    try {
      await expect(checkGradient('Tanh', [[3, 4]])).rejects.toThrow(/checkGradient Tanh \[\[3, 4\]\]: \d+ of 12 elements off by more than 1e-6/);
    } finally {
      table.Tanh = original;
    }
  });
});

describe('every op has a gradient decision', () => {
  it('each op either has a vjp checked (above, or against a float64 reference in ops/spatial.test.ts) or is listed as not differentiable', () => {
    const withRule = Object.entries(ops).filter(([, def]) => def.vjp !== null).map(([name]) => name);
    const withoutRule = Object.entries(ops).filter(([, def]) => def.vjp === null).map(([name]) => name);
    expect(withRule.sort()).toEqual([...new Set([...Object.keys(checks), ...Object.keys(referenceCases)])].sort());
    expect(withoutRule.sort()).toEqual([...nonDifferentiable].sort());
  });
});

describe('the reverse pass', () => {
  const setup = () => {
    const b = new GraphBuilder();
    return { b, x: b.input('x', 'float64', [3, 4]), x2: b.input('x2', 'float64', [3, 1]) };
  };
  const sum = (b: GraphBuilder, v: Value) => b.op('ReduceSum', [v], { keepdims: 0 });

  it('throws for a non-differentiable op on the path from the loss to a parameter', () => {
    const { b, x } = setup();
    const loss = sum(b, b.op('Mul', [b.op('Sign', [x]), x]));
    expect(() => gradients(b, loss, [x])).toThrow(/^no gradient rule for op Sign \(node Sign_0\); the gradient of x needs it \(an imported model can train without it: leave it out of importOnnx's trainable option\)$/);
  });

  it('throws for ArgMax when a gradient reaches it (loss = ReduceSum(ArgMax(x)), an int64 scalar)', () => {
    const { b, x } = setup();
    const loss = sum(b, b.op('ArgMax', [x], { axis: 1, keepdims: 1 }));
    expect(() => gradients(b, loss, [x])).toThrow(/^no gradient rule for op ArgMax \(node ArgMax_0\); the gradient of x needs it/);
  });

  it('an ArgMax → Cast path gives x no gradient: Cast from an integer has none (zeros, no error)', async () => {
    const { b, x, x2 } = setup();
    const loss = sum(b, b.op('Mul', [b.op('Cast', [b.op('ArgMax', [x], { axis: 1, keepdims: 1 })], { to: onnxDataType.float64 }), x2]));
    const [g] = gradients(b, loss, [x]);
    expect(g!.constant && Array.from(g!.constant.data as Float64Array)).toEqual(new Array(12).fill(0));
  });

  it('visits only the path from the loss to the parameters: non-differentiable ops off it do not throw', async () => {
    // Sign(x) is reachable from x but does not reach the loss; ArgMax(c) reaches the loss but not from x.
    await checkGradient((b, [x]) => {
      b.op('Sign', [x!]);
      const c = b.constant(Array.from({ length: 12 }, (_, i) => (i * 5) % 7), 'float64', [3, 4]);
      const idx = b.op('Cast', [b.op('ArgMax', [c], { axis: 1, keepdims: 1 })], { to: onnxDataType.float64 });
      return b.op('Mul', [b.op('Tanh', [x!]), idx]);
    }, [[3, 4]]);
  });

  it('a parameter the loss does not depend on gets zeros', () => {
    const { b, x, x2 } = setup();
    const [, g2] = gradients(b, sum(b, b.op('Tanh', [x])), [x, x2]);
    expect(g2!.shape).toEqual([3, 1]);
    expect(Array.from(g2!.constant!.data as Float64Array)).toEqual([0, 0, 0]);
  });

  it('the loss must be a scalar', () => {
    const { b, x } = setup();
    expect(() => gradients(b, b.op('Tanh', [x]), [x])).toThrow(/^gradients: the loss must be a scalar, got shape \[3, 4\]$/);
  });
});
