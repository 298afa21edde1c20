import { floatUnary, numAttr } from './rules.js';
import { scalar } from './grad.js';
import type { OpDef } from './types.js';

export const Tanh: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Mul', [dy!, b.op('Sub', [scalar(b, 1, y!), b.op('Mul', [y!, y!])])])],
};

export const Sigmoid: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Mul', [dy!, b.op('Mul', [y!, b.op('Sub', [scalar(b, 1, y!), y!])])])],
};

export const Relu: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => [b.op('Where', [b.op('Greater', [x!, scalar(b, 0, x!)]), dy!, scalar(b, 0, x!)])],
};

export const LeakyRelu: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { inputs: [x], attrs }, b) => {
    const slope = b.op('Mul', [dy!, scalar(b, numAttr(attrs, 'alpha', 0.01), x!)]);
    return [b.op('Where', [b.op('Greater', [x!, scalar(b, 0, x!)]), dy!, slope])];
  },
};

export const Softplus: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => [b.op('Mul', [dy!, b.op('Sigmoid', [x!])])],
};

export const Exp: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Mul', [dy!, y!])],
};

export const Log: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => [b.op('Div', [dy!, x!])],
};

export const Sqrt: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Div', [dy!, b.op('Mul', [y!, scalar(b, 2, y!)])])],
};

export const Abs: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => [b.op('Mul', [dy!, b.op('Sign', [x!])])],
};

export const Erf: OpDef = {
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => {
    const gauss = b.op('Exp', [b.op('Neg', [b.op('Mul', [x!, x!])])]);
    return [b.op('Mul', [dy!, b.op('Mul', [gauss, scalar(b, 2 / Math.sqrt(Math.PI), x!)])])];
  },
};

export const Sign: OpDef = { infer: floatUnary, vjp: null };
