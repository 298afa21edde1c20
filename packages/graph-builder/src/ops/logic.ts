import { arg, broadcastBinary, comparison } from './rules.js';
import { type OpDef } from './types.js';

const modAttrs = { fmod: { type: 'int', default: 0 } } as const;

const boolBinary: OpDef['infer'] = (inputs, attrs, node) => {
  [0, 1].forEach((i) => {
    const v = arg(inputs, i, node);
    if (v.dtype !== 'bool') throw new Error(`node ${node}: input ${i} must be bool, got ${v.dtype}`);
  });
  return comparison(inputs, attrs, node);
};

export const GreaterOrEqual: OpDef = { attrs: {}, infer: comparison, vjp: null };
export const LessOrEqual: OpDef = { attrs: {}, infer: comparison, vjp: null };
export const And: OpDef = { attrs: {}, infer: boolBinary, vjp: null };
export const Or: OpDef = { attrs: {}, infer: boolBinary, vjp: null };
export const Xor: OpDef = { attrs: {}, infer: boolBinary, vjp: null };
/** Remainder (sign of the divisor; fmod 1: of the dividend, as C fmod). Used on shapes and indices here, so without a gradient. */
export const Mod: OpDef<typeof modAttrs> = { attrs: modAttrs, infer: broadcastBinary, vjp: null };
