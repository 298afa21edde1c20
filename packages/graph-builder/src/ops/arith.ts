import { broadcastBinary, floatUnary } from './rules.js';
import { scalar, unbroadcast } from './grad.js';
import { type OpDef } from './types.js';
import type { Value } from '../ir/types.js';

export const Add: OpDef = {
  attrs: {},
  infer: broadcastBinary,
  vjp: ([dy], { inputs: [a, c] }, b) => [unbroadcast(b, dy!, a!), unbroadcast(b, dy!, c!)],
};

export const Sub: OpDef = {
  attrs: {},
  infer: broadcastBinary,
  vjp: ([dy], { inputs: [a, c] }, b) => [unbroadcast(b, dy!, a!), unbroadcast(b, b.op('Neg', [dy!]), c!)],
};

export const Mul: OpDef = {
  attrs: {},
  infer: broadcastBinary,
  vjp: ([dy], { inputs: [a, c] }, b) => [
    unbroadcast(b, b.op('Mul', [dy!, c!]), a!),
    unbroadcast(b, b.op('Mul', [dy!, a!]), c!),
  ],
};

export const Div: OpDef = {
  attrs: {},
  infer: broadcastBinary,
  vjp: ([dy], { inputs: [a, c], outputs: [y] }, b) => {
    const da = b.op('Div', [dy!, c!]);
    // d(a/c)/dc = -(a/c)/c = -y/c
    const dc = b.op('Neg', [b.op('Mul', [da, y!])]);
    return [unbroadcast(b, da, a!), unbroadcast(b, dc, c!)];
  },
};

export const Neg: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], _node, b) => [b.op('Neg', [dy!])],
};

export const Pow: OpDef = {
  attrs: {},
  infer: broadcastBinary,
  vjp: ([dy], { inputs: [x, e], outputs: [y] }, b) => {
    const base = x as Value;
    const exponent = e as Value;
    const dx = b.op('Mul', [dy!, b.op('Mul', [exponent, b.op('Pow', [base, b.op('Sub', [exponent, scalar(b, 1, exponent)])])])]);
    const de = b.op('Mul', [dy!, b.op('Mul', [y!, b.op('Log', [base])])]);
    return [unbroadcast(b, dx, base), unbroadcast(b, de, exponent)];
  },
};
