import { arg, knownDims, numbersOnly, sameDType } from './rules.js';
import { readAttrs, type OpDef } from './types.js';
import type { Dim, TensorConst } from '../ir/types.js';
import { formatShape } from '../ir/types.js';

const constantAttrs = {
  value: { type: 'tensor' },
  value_float: { type: 'float' },
  value_floats: { type: 'floats' },
  value_int: { type: 'int' },
  value_ints: { type: 'ints' },
} as const;
const constantOfShapeAttrs = { value: { type: 'tensor' } } as const;

/** ONNX Constant: exactly one of `value` (a tensor), value_float(s) (float32) or value_int(s) (int64). */
export const Constant: OpDef<typeof constantAttrs> = {
  attrs: constantAttrs,
  infer: (_inputs, attrs, node) => {
    const given = Object.keys(constantAttrs).filter((k) => attrs[k] !== undefined);
    if (given.length !== 1) {
      throw new Error(`node ${node}: Constant needs exactly one of ${Object.keys(constantAttrs).join(', ')}, got ${given.length === 0 ? 'none' : given.join(', ')}`);
    }
    const a = readAttrs(constantAttrs, attrs);
    if (a.value) return [{ dtype: a.value.dtype, shape: a.value.dims }];
    if (a.value_float !== undefined) return [{ dtype: 'float32', shape: [] }];
    if (a.value_floats) return [{ dtype: 'float32', shape: [a.value_floats.length] }];
    if (a.value_int !== undefined) return [{ dtype: 'int64', shape: [] }];
    return [{ dtype: 'int64', shape: [a.value_ints!.length] }];
  },
  vjp: null,
};

/** A tensor of the shape given by a 1-D int64 input, filled with `value` (one element; default float32 0). */
export const ConstantOfShape: OpDef<typeof constantOfShapeAttrs> = {
  attrs: constantOfShapeAttrs,
  infer: (inputs, attrs, node) => {
    const shape = arg(inputs, 0, node);
    if (shape.dtype !== 'int64' || shape.shape.length !== 1) {
      throw new Error(`node ${node}: ConstantOfShape takes a 1-D int64 shape, got ${shape.dtype} ${formatShape(shape.shape)}`);
    }
    const value: TensorConst | undefined = readAttrs(constantOfShapeAttrs, attrs).value;
    if (value && value.data.length !== 1) throw new Error(`node ${node}: ConstantOfShape's value must hold one element, got ${value.data.length}`);
    return [{ dtype: value?.dtype ?? 'float32', shape: knownDims(shape) ?? unknownDims(shape.shape[0]!, node) }];
  },
  vjp: null,
};

/** `length` dims known only at run time; the length itself must be static. */
function unknownDims(length: Dim, node: string): Dim[] {
  if (typeof length !== 'number') throw new Error(`node ${node}: ConstantOfShape needs a shape input of static length, got length ${length}`);
  return new Array<Dim>(length).fill('?');
}

/** start, start + delta, … up to (not including) limit: max(ceil((limit − start) / delta), 0) elements. */
export const Range: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => {
    const operands = [0, 1, 2].map((i) => arg(inputs, i, node));
    const dtype = sameDType(operands, node);
    operands.forEach((v, i) => {
      if (v.shape.length !== 0) throw new Error(`node ${node}: Range's ${['start', 'limit', 'delta'][i]} must be a scalar, got ${formatShape(v.shape)}`);
    });
    const [start, limit, delta] = operands.map((v) => numbersOnly(knownDims(v))?.[0]);
    if (delta === 0) throw new Error(`node ${node}: Range's delta must not be 0`);
    const known = start !== undefined && limit !== undefined && delta !== undefined;
    return [{ dtype, shape: [known ? Math.max(Math.ceil((limit - start) / delta), 0) : '?'] }];
  },
  vjp: null,
};

/** The indices of the non-zero elements, [rank, count]: count is known only at run time, a symbol named after the node. */
export const NonZero: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => [{ dtype: 'int64', shape: [arg(inputs, 0, node).shape.length, `${node}_count`] }],
  vjp: null,
};
