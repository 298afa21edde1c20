import { floatInput, normalizeAxis, numAttr } from './rules.js';
import type { OpDef } from './types.js';
import type { Attrs, Value } from '../ir/types.js';

const inferSoftmax: OpDef['infer'] = (inputs, attrs, node) => {
  const x = floatInput(inputs, 0, node);
  normalizeAxis(numAttr(attrs, 'axis', -1), x.shape.length, node);
  return [{ dtype: x.dtype, shape: x.shape }];
};

const axesOf = (attrs: Attrs, x: Value): number[] => [normalizeAxis(numAttr(attrs, 'axis', -1), x.shape.length, '')];

export const Softmax: OpDef = {
  infer: inferSoftmax,
  // dx = y * (dy - sum(dy * y, axis))
  vjp: ([dy], { outputs: [y], attrs }, b) => {
    const axes = b.constant(axesOf(attrs, y!), 'int64');
    const dot = b.op('ReduceSum', [b.op('Mul', [dy!, y!]), axes], { keepdims: 1 });
    return [b.op('Mul', [y!, b.op('Sub', [dy!, dot])])];
  },
};

export const LogSoftmax: OpDef = {
  infer: inferSoftmax,
  // dx = dy - softmax(x) * sum(dy, axis)
  vjp: ([dy], { outputs: [y], attrs }, b) => {
    const total = b.op('ReduceSum', [dy!, b.constant(axesOf(attrs, y!), 'int64')], { keepdims: 1 });
    return [b.op('Sub', [dy!, b.op('Mul', [b.op('Exp', [y!]), total])])];
  },
};
