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
import { erfRef, geluRef, instanceNormRef, layerNormLastAxisRef, meanRef } from './testing/reference-ops.js';
import { elementCount } from './ir/element-count.js';

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
const reduceNoop = (): Case[] => [
  // noop_with_empty_axes: no axes (absent or empty) reduce nothing; without it, everything.
  [[[3, 4]], { attrs: { noop_with_empty_axes: 1 } }],
  [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [])], attrs: { noop_with_empty_axes: 1, keepdims: 0 } }],
  [[[3, 4]], { args: (b, [x]) => [x!, int64(b, [])], attrs: { keepdims: 0 } }],
  [[[3, 4]], { declaredShapes: [['batch', 4]], args: (b, [x]) => [x!, int64(b, [1])], attrs: { keepdims: 0 } }],
];
const boolConst = (b: GraphBuilder, dims: readonly number[]) =>
  b.constant(Array.from({ length: elementCount(dims) }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), 'bool', dims);

/** Uniform in [−4, 4), moved 0.2 away from each kink (a point where the op's slope jumps). */
const avoiding = (...kinks: number[]): Domain => (u) => {
  const x = 8 * u - 4;
  return kinks.some((k) => Math.abs(x - k) < 0.1) ? x + 0.2 : x;
};
/** The value checked from all of a node's outputs: concatenated in reverse order along `axis`. */
const reversedConcat = (axis: number) => (b: GraphBuilder, outs: readonly Value[]) => b.op('Concat', [...outs].reverse(), { axis });
const FAR = 2 ** 62;

function gemmCases(): Case[] {
  const cases: Case[] = [];
  for (const [transA, transB] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
    const ab = (m: number, k: number, n: number) => [transA ? [k, m] : [m, k], transB ? [n, k] : [k, n]];
    cases.push([[...ab(3, 4, 2), [2]], { attrs: { transA, transB } }]);
    cases.push([[...ab(3, 4, 2), [3, 2]], { attrs: { transA, transB, alpha: 0.7, beta: -1.6 } }]);
    cases.push([ab(1, 4, 2), { attrs: { transA, transB, alpha: 2.5 } }]);
  }
  return [
    ...cases,
    [[[3, 4], [4, 2], [3, 1]], { attrs: { beta: 0.3 } }],
    [[[3, 4], [4, 2], [1]], {}],
    [[[3, 4], [4, 2], []], { attrs: { alpha: 0.1, beta: 0 } }],
    [[[3, 4]], { args: (b, [x]) => [x!, x!], attrs: { transB: 1 } }],
    [[[3, 3]], { args: (b, [x]) => [x!, x!, x!], attrs: { transA: 1, alpha: 0.5, beta: 2 } }],
    [[[5, 4], [4, 2], [2]], { declaredShapes: [['batch', 4], [4, 2], [2]] }],
    [[[4, 5], [2, 4], [1, 2]], { declaredShapes: [[4, 'batch'], [2, 4], [1, 2]], attrs: { transA: 1, transB: 1 } }],
  ];
}

const BN_DOMAIN: Domain[] = ['any', 'any', 'any', 'any', 'positive'];
const bn = (x: readonly number[], c: number, options: GradCheckOptions = {}): Case => [[x, [c], [c], [c], [c]], { domain: BN_DOMAIN, ...options }];
const bnTraining = (x: readonly number[], c: number, options: GradCheckOptions = {}): Case => bn(x, c, { outputs: 3, ...options, attrs: { training_mode: 1, ...options.attrs } });

const padCase = (shape: readonly number[], pads: readonly number[], mode: string, options: GradCheckOptions = {}): Case => [
  [shape],
  { args: (b, [x]) => [x!, int64(b, pads)], attrs: { mode }, ...options },
];
const sliceCase = (shape: readonly number[], starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[], options: GradCheckOptions = {}): Case => [
  [shape],
  {
    args: (b, [x]) => [x!, int64(b, starts), int64(b, ends), ...(axes ? [int64(b, axes)] : steps ? [null] : []), ...(steps ? [int64(b, steps)] : [])],
    ...options,
  },
];

/** The ops that imported PyTorch and tf2onnx graphs need (issue 9). */
const importedOpChecks = {
  Gemm: gemmCases(),
  BatchNormalization: [
    bn([2, 3], 3),
    bn([2, 3, 4], 3),
    bn([2, 3, 2, 2], 3, { attrs: { epsilon: 0.01 } }),
    bn([1, 2, 3, 2], 2),
    bn([3, 2, 2], 2, { args: (b, [x, s, , m, v]) => [x!, s!, s!, m!, v!] }),
    bn([4, 3, 2], 3, { declaredShapes: [['batch', 3, 2], [3], [3], [3], [3]] }),
    bnTraining([4, 3], 3),
    bnTraining([2, 3, 2, 2], 3, { attrs: { epsilon: 0.1 } }),
    bnTraining([1, 2, 3, 2], 2),
    bnTraining([4, 3, 2], 3, { declaredShapes: [['batch', 3, 2], [3], [3], [3], [3]] }),
  ],
  LayerNormalization: [
    [[[3, 4], [4], [4]]],
    [[[2, 3, 4], [3, 4], [3, 4]], { attrs: { axis: 1 } }],
    [[[2, 3, 4], [4]], { attrs: { axis: -1 } }],
    [[[2, 3, 4], [1, 4], [4]], { attrs: { axis: -2 } }],
    [[[2, 3, 4], [2, 3, 4], [2, 3, 4]], { attrs: { axis: 0 } }],
    [[[1, 4], [4], [4]], { attrs: { epsilon: 0.1 } }],
    [[[3, 4], [4]], { args: (b, [x, s]) => [x!, s!, s!] }],
    // float64 x with the float32 Mean and InvStdDev outputs: the rule recomputes the statistics in float64
    [[[3, 4], [4], [4]], { outputs: 3 }],
    [[[5, 3, 4], [4], [4]], { declaredShapes: [['batch', 3, 4], [4], [4]] }],
    // float32, the rule reading the node's own Mean and InvStdDev outputs
    [[[3, 5], [5], [5]], { outputs: 3, reference: layerNormLastAxisRef([3, 5], 1e-5) }],
    [[[2, 2, 4], [4]], { reference: layerNormLastAxisRef([2, 2, 4], 1e-5) }],
  ],
  // onnxruntime has InstanceNormalization in float32 only: against a float64 reference.
  InstanceNormalization: [
    [[[2, 3, 4], [3], [3]], { reference: instanceNormRef([2, 3, 4], 1e-5) }],
    [[[2, 2, 3, 2], [2], [2]], { attrs: { epsilon: 0.01 }, reference: instanceNormRef([2, 2, 3, 2], 0.01) }],
    [[[1, 3, 5], [3], [3]], { reference: instanceNormRef([1, 3, 5], 1e-5) }],
    [[[2, 3, 4], [3]], { args: (b, [x, s]) => [x!, s!, s!], reference: ([x, s]) => instanceNormRef([2, 3, 4], 1e-5)([x!, s!, s!]) }],
    [[[3, 2, 4], [2], [2]], { declaredShapes: [['batch', 2, 4], [2], [2]], reference: instanceNormRef([3, 2, 4], 1e-5) }],
  ],
  Squeeze: [
    [[[3, 1, 4]], { args: (b, [x]) => [x!, int64(b, [1])] }],
    [[[1, 4, 1]], { args: (b, [x]) => [x!, int64(b, [0, -1])] }],
    [[[1, 4, 1]]],
    [[[5, 1, 4]], { declaredShapes: [['batch', 1, 4]], args: (b, [x]) => [x!, int64(b, [1])] }],
  ],
  Flatten: [
    [[[2, 3, 4]]],
    [[[2, 3, 4]], { attrs: { axis: 0 } }],
    [[[2, 3, 4]], { attrs: { axis: 3 } }],
    [[[2, 3, 4]], { attrs: { axis: -1 } }],
    [[[1, 4]]],
    [[[5, 3, 2]], { declaredShapes: [['batch', 3, 2]] }],
  ],
  Split: [
    [[[3, 6]], { args: (b, [x]) => [x!, int64(b, [1, 2, 3])], attrs: { axis: 1 }, outputs: 3, combine: reversedConcat(1) }],
    [[[4, 3]], { attrs: { num_outputs: 2 }, outputs: 2, combine: reversedConcat(0) }],
    [[[2, 7]], { attrs: { axis: -1, num_outputs: 3 }, outputs: 3, combine: reversedConcat(-1) }],
    // only the first output reaches the loss: zeros for the others
    [[[2, 6]], { attrs: { axis: 1, num_outputs: 3 }, outputs: 3 }],
    [[[1, 4]], { args: (b, [x]) => [x!, int64(b, [3, 1])], attrs: { axis: 1 }, outputs: 2, combine: reversedConcat(1) }],
    [[[5, 4]], { declaredShapes: [['batch', 4]], args: (b, [x]) => [x!, int64(b, [1, 3])], attrs: { axis: 1 }, outputs: 2 }],
    [[[4, 3]], { declaredShapes: [['batch', 3]], attrs: { num_outputs: 2 }, outputs: 2, combine: (b, [p, q]) => b.op('Add', [b.op('ReduceSum', [p!, int64(b, [0])], { keepdims: 0 }), b.op('ReduceSum', [q!, int64(b, [0])], { keepdims: 0 })]) }],
  ],
  Tile: [
    [[[2, 3]], { args: (b, [x]) => [x!, int64(b, [2, 1])] }],
    [[[2, 3]], { args: (b, [x]) => [x!, int64(b, [1, 3])] }],
    [[[2, 3]], { args: (b, [x]) => [x!, int64(b, [2, 2])] }],
    [[[2, 3, 1]], { args: (b, [x]) => [x!, int64(b, [1, 2, 4])] }],
    [[[1, 4]], { args: (b, [x]) => [x!, int64(b, [3, 1])] }],
    [[[5, 3]], { declaredShapes: [['batch', 3]], args: (b, [x]) => [x!, int64(b, [1, 2])] }],
    [[[5, 3]], { declaredShapes: [['batch', 3]], args: (b, [x]) => [x!, int64(b, [2, 2])] }],
  ],
  Pad: [
    padCase([3, 4], [1, 2, 0, 1], 'constant'),
    padCase([3, 4], [-1, 1, 0, -2], 'constant'),
    [[[3, 4], []], { args: (b, [x, v]) => [x!, int64(b, [1, 0, 2, 1]), v!] }],
    [[[2, 3, 4]], { args: (b, [x]) => [x!, int64(b, [1, 2]), null, int64(b, [-1])] }],
    padCase([3, 4], [2, 1, 1, 3], 'edge'),
    padCase([3, 4], [2, 1, 1, 5], 'edge'),
    padCase([3, 4], [2, 1, 1, 3], 'reflect'),
    [[[2, 3, 4]], { args: (b, [x]) => [x!, int64(b, [1, 2]), null, int64(b, [1])], attrs: { mode: 'reflect' } }],
    padCase([3, 4], [1, 3, 2, 4], 'wrap', { opset: 19 }),
    padCase([1, 4], [0, 1, 0, 2], 'edge'),
    padCase([5, 4], [0, 1, 0, 2], 'reflect', { declaredShapes: [['batch', 4]] }),
    padCase([5, 4], [0, 1, 0, 2], 'constant', { declaredShapes: [['batch', 4]] }),
  ],
  Slice: [
    sliceCase([3, 4], [1], [3], [0]),
    sliceCase([3, 4], [0, 1], [-1, 100]),
    sliceCase([3, 5], [4], [0], [1], [-2]),
    sliceCase([3, 5], [-1], [-FAR], [1], [-1]),
    sliceCase([4, 5], [0, 1], [4, 5], [0, 1], [2, 3]),
    sliceCase([2, 3, 6], [5], [-100], [-1], [-3]),
    sliceCase([2, 3, 6], [-2, 1], [FAR, 6], undefined, [1, 2]),
    sliceCase([1, 4], [0], [FAR], [1], [3]),
    sliceCase([5, 6], [1, 0], [FAR, 6], [0, 1], [1, 2], { declaredShapes: [['batch', 6]] }),
    sliceCase([5, 6], [-3, 5], [-1, 0], [0, 1], [1, -2], { declaredShapes: [['batch', 6]] }),
  ],
  ReduceMax: [...reduce(), ...reduceNoop()],
  ReduceMin: [...reduce(), ...reduceNoop()],
  ReduceSumSquare: [...reduce(), ...reduceNoop()],
  ReduceL2: [...reduce(), ...reduceNoop()],
  Reciprocal: unary({ domain: 'nonzero' }),
  Max: [...binary(), [[[3, 4], [4], [3, 1]]], [[[3, 4]]]],
  Min: [...binary(), [[[3, 4], [4], [3, 1]]], [[[3, 4]]]],
  Sum: [...binary(), [[[3, 4], [4], [3, 1]]], [[[3, 4]]]],
  // onnxruntime has Mean in float32 only: against a float64 reference.
  Mean: [
    [[[3, 4], [3, 4]], { reference: meanRef([[3, 4], [3, 4]]) }],
    [[[3, 4], [4], [3, 1]], { reference: meanRef([[3, 4], [4], [3, 1]]) }],
    [[[2, 3, 4], [3, 4]], { reference: meanRef([[2, 3, 4], [3, 4]]) }],
    [[[1, 4]], { reference: meanRef([[1, 4]]) }],
    [[[3, 4]], { args: twice, reference: ([x]) => meanRef([[3, 4], [3, 4]])([x!, x!]) }],
  ],
  HardSigmoid: [...unary({ domain: avoiding(-2.5, 2.5) }), [[[3, 4]], { attrs: { alpha: 0.5, beta: 0.6 }, domain: avoiding(-1.2, 0.8) }]],
  HardSwish: unary({ domain: avoiding(-3, 3) }),
  Gelu: [
    ...unary({ attrs: { approximate: 'tanh' }, opset: 20 }),
    // onnxruntime's Gelu 'none' needs Erf, float32 only: against a float64 reference.
    ...unary({ reference: geluRef, opset: 20 }),
  ],
  Elu: [...unary({ domain: 'nonzero' }), [[[3, 4]], { domain: 'nonzero', attrs: { alpha: 0.4 } }]],
  Selu: [...unary({ domain: 'nonzero' }), [[[3, 4]], { domain: 'nonzero', attrs: { alpha: 1.2, gamma: 0.9 } }]],
  // Piecewise constant: the finite differences are 0 away from the steps (the seeded inputs are).
  Floor: unary(),
  Ceil: unary(),
  Round: unary(),
  Trilu: [
    [[[3, 4]]],
    [[[3, 4]], { attrs: { upper: 0 } }],
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(1, 'int64')] }],
    [[[2, 3, 4]], { args: (b, [x]) => [x!, b.constant(-1, 'int64')], attrs: { upper: 0 } }],
    [[[1, 4]]],
  ],
  CumSum: [
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(1, 'int64')] }],
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(0, 'int64')], attrs: { exclusive: 1 } }],
    [[[3, 4]], { args: (b, [x]) => [x!, b.constant(-1, 'int64')], attrs: { reverse: 1 } }],
    [[[2, 3, 4]], { args: (b, [x]) => [x!, b.constant(1, 'int64')], attrs: { reverse: 1, exclusive: 1 } }],
    [[[1, 4]], { args: (b, [x]) => [x!, b.constant(1, 'int64')] }],
  ],
} satisfies Partial<Record<OpName, readonly Case[]>>;

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
  // onnxruntime has no float64 Erf kernel: float32 against a float64 reference (see gradcheck.ts).
  Erf: unary({ reference: erfRef }),
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
  ReduceSum: [...reduce(), ...reduceNoop()],
  ReduceMean: [...reduce(), ...reduceNoop()],
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
  ...importedOpChecks,
} satisfies Partial<Record<OpName, readonly Case[]>>;

/** Ops the reverse pass must refuse (no gradient rule): comparisons, logic, integer-valued, constant and shape ops, Sign, Loop and Scan, scatters. */
const nonDifferentiable: readonly OpName[] = [
  'Sign', 'Shape', 'Size', 'Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'Mod',
  'ArgMax', 'OneHot', 'Loop', 'Scan', 'Constant', 'ConstantOfShape', 'Range', 'NonZero', 'ScatterElements', 'ScatterND',
];

const label = ([shapes, options]: Case) => {
  const extra = [
    options?.args === twice ? 'used twice' : '',
    options?.attrs ? JSON.stringify(options.attrs) : '',
    options?.args && options.args !== twice ? 'with constants' : '',
    options?.dtype ?? '',
    options?.declaredShapes ? `declared ${options.declaredShapes.map((s) => `[${s.join(',')}]`).join(' ')}` : '',
    options?.reference ? 'float32 vs float64 reference' : '',
    options?.opset ? `opset ${options.opset}` : '',
    options?.outputs && options.outputs > 1 ? `${options.outputs} outputs${options.combine ? ' combined' : ''}` : '',
  ].filter(Boolean);
  return `${shapes.map((s) => `[${s.join(',')}]`).join(' ')}${extra.length ? ` ${extra.join(' ')}` : ''}`;
};

describe('gradient rules match central finite differences (float64, 1e-6; float32 against a float64 reference, 2e-5)', () => {
  for (const [op, cases] of Object.entries(checks) as [OpName, readonly Case[]][]) {
    cases.forEach((c, i) => {
      it(`${op} ${label(c)}`, async () => {
        const { checked, worst, forwardWorst } = await checkGradient(op, c[0], { seed: 100 + i, ...c[1] });
        // GRADCHECK_LOG=1 prints each case's measured error (gradient, and forward against a reference).
        if (process.env.GRADCHECK_LOG) console.log(`gradcheck ${op} ${label(c)}: worst ${worst.toExponential(2)}${forwardWorst === undefined ? '' : `, forward ${forwardWorst.toExponential(2)}`}`);
        expect(checked).toBe(c[0].reduce((n, s) => n + elementCount(s), 0));
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

  it('composite: two overlapping Slices of x (columns 0–1 and 1–2) added: x used twice', async () => {
    await checkGradient((b, [x]) => {
      const columns = (from: number) => b.op('Slice', [x!, int64(b, [from]), int64(b, [from + 2]), int64(b, [1])]);
      return b.op('Add', [columns(0), columns(1)]);
    }, [[3, 4]]);
  });

  it('composite: a Slice whose start is computed at run time (the last 3 rows of a symbolic batch)', async () => {
    await checkGradient(
      (b, [x]) => {
        const start = b.op('Sub', [b.op('Shape', [x!], { end: 1 }), int64(b, [3])]);
        const rows = b.op('Slice', [x!, start, int64(b, [FAR]), int64(b, [0])]);
        // The rows' count is known only at run time: sum them to a static shape for the check.
        return b.op('ReduceSum', [rows, int64(b, [0])], { keepdims: 0 });
      },
      [[5, 4]],
      { declaredShapes: [['batch', 4]] },
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
    b.constant(Array.from({ length: elementCount(dims) }, (_, i) => values(i)), 'float64', dims);

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
