import { floatUnary } from './rules.js';
import { scalar } from './grad.js';
import { readAttrs, type OpDef } from './types.js';

const leakyReluAttrs = { alpha: { type: 'float', default: 0.01 } } as const;

export const Tanh: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Mul', [dy!, b.op('Sub', [scalar(b, 1, y!), b.op('Mul', [y!, y!])])])],
};

export const Sigmoid: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Mul', [dy!, b.op('Mul', [y!, b.op('Sub', [scalar(b, 1, y!), y!])])])],
};

export const Relu: OpDef = {
  attrs: {},
  infer: floatUnary,
  // From the output (y > 0 exactly where x > 0): the input then has one reader, so onnxruntime can fuse Gemm + Relu.
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Where', [b.op('Greater', [y!, scalar(b, 0, y!)]), dy!, scalar(b, 0, y!)])],
};

export const LeakyRelu: OpDef<typeof leakyReluAttrs> = {
  attrs: leakyReluAttrs,
  infer: floatUnary,
  vjp: ([dy], { inputs: [x], attrs }, b) => {
    // alpha is a FLOAT attribute: the forward pass computes with its float32 rounding, so the gradient does too.
    const alpha = Math.fround(readAttrs(leakyReluAttrs, attrs).alpha);
    const slope = b.op('Mul', [dy!, scalar(b, alpha, x!)]);
    return [b.op('Where', [b.op('Greater', [x!, scalar(b, 0, x!)]), dy!, slope])];
  },
};

export const Softplus: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => [b.op('Mul', [dy!, b.op('Sigmoid', [x!])])],
};

export const Exp: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Mul', [dy!, y!])],
};

export const Log: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => [b.op('Div', [dy!, x!])],
};

export const Sqrt: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Div', [dy!, b.op('Mul', [y!, scalar(b, 2, y!)])])],
};

export const Abs: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => [b.op('Mul', [dy!, b.op('Sign', [x!])])],
};

export const Erf: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => {
    const gauss = b.op('Exp', [b.op('Neg', [b.op('Mul', [x!, x!])])]);
    return [b.op('Mul', [dy!, b.op('Mul', [gauss, scalar(b, 2 / Math.sqrt(Math.PI), x!)])])];
  },
};

export const Sign: OpDef = { attrs: {}, infer: floatUnary, vjp: null };
