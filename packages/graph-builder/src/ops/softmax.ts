import { floatInput, normalizeAxis } from './rules.js';
import { readAttrs, type OpDef } from './types.js';
import type { Attrs, Value } from '../ir/types.js';

const softmaxAttrs = { axis: { type: 'int', default: -1 } } as const;

const inferSoftmax: OpDef['infer'] = (inputs, attrs, node) => {
  const x = floatInput(inputs, 0, node);
  normalizeAxis(readAttrs(softmaxAttrs, attrs).axis, x.shape.length, node);
  return [{ dtype: x.dtype, shape: x.shape }];
};

const axesOf = (attrs: Attrs, x: Value): number[] => [normalizeAxis(readAttrs(softmaxAttrs, attrs).axis, x.shape.length, '')];

export const Softmax: OpDef<typeof softmaxAttrs> = {
  attrs: softmaxAttrs,
  infer: inferSoftmax,
  // dx = y * (dy - sum(dy * y, axis))
  vjp: ([dy], { outputs: [y], attrs }, b) => {
    const axes = b.constant(axesOf(attrs, y!), 'int64');
    const dot = b.op('ReduceSum', [b.op('Mul', [dy!, y!]), axes], { keepdims: 1 });
    return [b.op('Mul', [y!, b.op('Sub', [dy!, dot])])];
  },
};

export const LogSoftmax: OpDef<typeof softmaxAttrs> = {
  attrs: softmaxAttrs,
  infer: inferSoftmax,
  // dx = dy - softmax(x) * sum(dy, axis)
  vjp: ([dy], { outputs: [y], attrs }, b) => {
    const total = b.op('ReduceSum', [dy!, b.constant(axesOf(attrs, y!), 'int64')], { keepdims: 1 });
    return [b.op('Sub', [dy!, b.op('Mul', [b.op('Exp', [y!]), total])])];
  },
};
