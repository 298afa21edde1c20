import { Add, Div, Mul, Neg, Pow, Sub } from './arith.js';
import { Abs, Erf, Exp, LeakyRelu, Log, Relu, Sigmoid, Sign, Softplus, Sqrt, Tanh } from './unary.js';
import { LogSoftmax, Softmax } from './softmax.js';
import { MatMul } from './matmul.js';
import { Concat, Expand, Gather, Identity, Reshape, Shape, Size, Transpose, Unsqueeze } from './shape-ops.js';
import { Slice } from './slice.js';
import { Pad } from './pad.js';
import { Flatten, Split, Squeeze, Tile } from './reshaping.js';
import { ReduceL2, ReduceMax, ReduceMean, ReduceMin, ReduceSum, ReduceSumSquare } from './reduce.js';
import { ArgMax, Cast, Clip, Dropout, Equal, Greater, Less, Not, OneHot, Where } from './misc.js';
import { Gemm } from './gemm.js';
import { BatchNormalization, InstanceNormalization, LayerNormalization } from './normalization.js';
import { Ceil, Elu, Floor, Gelu, HardSigmoid, HardSwish, Max, Mean, Min, Reciprocal, Round, Selu, Sum } from './elementwise.js';
import { Constant, ConstantOfShape, NonZero, Range } from './constants.js';
import { And, GreaterOrEqual, LessOrEqual, Mod, Or, Xor } from './logic.js';
import { CumSum, Trilu } from './cumulative.js';
import { Loop, Scan } from './loop.js';
import { Conv, ConvTranspose } from './conv.js';
import { AveragePool, GlobalAveragePool, GlobalMaxPool, MaxPool } from './pool.js';
import { ScatterElements, ScatterND } from './scatter.js';
import type { AttrArgs, AttrSchema, OpDef } from './types.js';

/**
 * Every op the builder can emit, all in the ONNX default domain. Each entry holds the
 * op's attribute schema (names, ONNX types, defaults), its shape rule and its gradient
 * rule (null: not differentiable).
 */
export const ops = {
  Add, Sub, Mul, Div, Neg, Pow,
  Tanh, Sigmoid, Relu, LeakyRelu, Softplus, Exp, Log, Sqrt, Abs, Erf, Sign,
  Softmax, LogSoftmax,
  Reciprocal, Min, Max, Sum, Mean, HardSigmoid, HardSwish, Gelu, Elu, Selu, Floor, Ceil, Round,
  MatMul, Gemm,
  BatchNormalization, LayerNormalization, InstanceNormalization,
  Concat, Reshape, Transpose, Identity, Unsqueeze, Squeeze, Flatten, Split, Expand, Tile, Pad, Shape, Size, Slice, Gather,
  ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceSumSquare, ReduceL2,
  Cast, Clip, Where, Greater, Less, Equal, GreaterOrEqual, LessOrEqual, Not, And, Or, Xor, Mod, ArgMax, OneHot, Dropout,
  Constant, ConstantOfShape, Range, NonZero, Trilu, CumSum,
  Loop, Scan,
  Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool,
  ScatterElements, ScatterND,
} satisfies Record<string, OpDef<AttrSchema>>;

export type OpName = keyof typeof ops;

/** The attributes a call site may give op K: checked against its schema at compile time. */
export type OpAttrs<K extends OpName> = AttrArgs<(typeof ops)[K]['attrs']>;
