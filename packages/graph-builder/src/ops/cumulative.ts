import { arg, knownDims, normalizeAxis, numbersOnly, sameAsFirst } from './rules.js';
import { readAttrs, type OpDef } from './types.js';
import { formatShape } from '../ir/types.js';

const trilAttrs = { upper: { type: 'int', default: 1 } } as const;
const cumSumAttrs = { exclusive: { type: 'int', default: 0 }, reverse: { type: 'int', default: 0 } } as const;

/**
 * ONNX Trilu: keeps the upper (or lower) triangle of the last two axes from diagonal k (an
 * optional int64 scalar input), zeros elsewhere. It is linear and masks by position only,
 * so its gradient is the same Trilu of dY.
 */
export const Trilu: OpDef<typeof trilAttrs> = {
  attrs: trilAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    if (x.shape.length < 2) throw new Error(`node ${node}: Trilu needs an input of rank 2 or more, got ${formatShape(x.shape)}`);
    return sameAsFirst(inputs, attrs, node);
  },
  vjp: ([dy], { inputs: [, k], attrs }, b) => [b.op('Trilu', k ? [dy!, k] : [dy!], { upper: readAttrs(trilAttrs, attrs).upper }), null],
};

/**
 * ONNX CumSum along the axis given as an int scalar input. y_j = Σ_{i ≤ j} x_i, so
 * dx_i = Σ_{j ≥ i} dy_j: the same CumSum of dY in the other direction (exclusive stays exclusive).
 */
export const CumSum: OpDef<typeof cumSumAttrs> = {
  attrs: cumSumAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    const axis = arg(inputs, 1, node);
    if (axis.shape.length > 1 || (axis.dtype !== 'int64' && axis.dtype !== 'int32')) {
      throw new Error(`node ${node}: CumSum's axis must be an int32 or int64 scalar, got ${axis.dtype} ${formatShape(axis.shape)}`);
    }
    const value = numbersOnly(knownDims(axis))?.[0];
    if (value !== undefined) normalizeAxis(value, x.shape.length, node);
    return sameAsFirst(inputs, attrs, node);
  },
  vjp: ([dy], { inputs: [, axis], attrs }, b) => {
    const { exclusive, reverse } = readAttrs(cumSumAttrs, attrs);
    return [b.op('CumSum', [dy!, axis!], { exclusive, reverse: reverse ? 0 : 1 }), null];
  },
};
