import { Add, Div, Mul, Neg, Pow, Sub } from './arith.js';
import { Abs, Erf, Exp, LeakyRelu, Log, Relu, Sigmoid, Sign, Softplus, Sqrt, Tanh } from './unary.js';
import { LogSoftmax, Softmax } from './softmax.js';
import { MatMul } from './matmul.js';
import { Concat, Expand, Gather, Identity, Reshape, Shape, Size, Slice, Transpose, Unsqueeze } from './shape-ops.js';
import { ReduceMean, ReduceSum } from './reduce.js';
import { ArgMax, Cast, Clip, Dropout, Equal, Greater, Less, Max, Not, OneHot, Where } from './misc.js';
import { Loop } from './loop.js';
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
  MatMul,
  Concat, Reshape, Transpose, Identity, Unsqueeze, Expand, Shape, Size, Slice, Gather,
  ReduceSum, ReduceMean,
  Cast, Clip, Where, Greater, Less, Equal, Max, Not, ArgMax, OneHot, Dropout,
  Loop,
  Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool,
  ScatterElements, ScatterND,
} satisfies Record<string, OpDef<AttrSchema>>;

export type OpName = keyof typeof ops;

/** The attributes a call site may give op K: checked against its schema at compile time. */
export type OpAttrs<K extends OpName> = AttrArgs<(typeof ops)[K]['attrs']>;
