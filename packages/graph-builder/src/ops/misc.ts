import { arg, broadcastShapes, comparison, sameDType, floatInput, sameAsFirst, staticDims } from './rules.js';
import { scalar, unbroadcast } from './grad.js';
import { readAttrs, type OpDef } from './types.js';
import { dtypeFromOnnx, onnxDataType } from '../onnx/dtypes.js';
import { isFloat, type Value } from '../ir/types.js';

const dropoutAttrs = { seed: { type: 'int' } } as const;
const oneHotAttrs = { axis: { type: 'int', default: -1 } } as const;
const castAttrs = { to: { type: 'int' } } as const;
const argMaxAttrs = { axis: { type: 'int', default: 0 }, keepdims: { type: 'int', default: 1 }, select_last_index: { type: 'int', default: 0 } } as const;

export const Cast: OpDef<typeof castAttrs> = {
  attrs: castAttrs,
  infer: (inputs, attrs, node) => {
    const { to } = readAttrs(castAttrs, attrs);
    if (to === undefined) throw new Error(`node ${node}: Cast needs a 'to' attribute`);
    return [{ dtype: dtypeFromOnnx(to), shape: arg(inputs, 0, node).shape }];
  },
  vjp: ([dy], { inputs: [x] }, b) => [isFloat(x!.dtype) ? b.op('Cast', [dy!], { to: onnxDataType[x!.dtype] }) : null],
};

export const Clip: OpDef = {
  attrs: {},
  infer: sameAsFirst,
  // min and max are optional inputs (absent: null); the gradient passes where x is within the given bounds.
  vjp: ([dy], { inputs: [x, lo, hi] }, b) => {
    let inside = lo ? b.op('Cast', [b.op('Not', [b.op('Less', [x!, lo])])], { to: onnxDataType[x!.dtype] }) : null;
    if (hi) {
      const below = b.op('Cast', [b.op('Not', [b.op('Greater', [x!, hi])])], { to: onnxDataType[x!.dtype] });
      inside = inside ? b.op('Mul', [inside, below]) : below;
    }
    return [inside ? b.op('Mul', [dy!, inside]) : dy!, null, null];
  },
};

export const Where: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => {
    const [cond, x, y] = [0, 1, 2].map((i) => arg(inputs, i, node)) as [Value, Value, Value];
    const shape = broadcastShapes(broadcastShapes(cond.shape, x.shape, node), y.shape, node);
    return [{ dtype: sameDType([x, y], node), shape }];
  },
  vjp: ([dy], { inputs: [cond, x, y] }, b) => {
    const zero = scalar(b, 0, dy!);
    return [null, unbroadcast(b, b.op('Where', [cond!, dy!, zero]), x!), unbroadcast(b, b.op('Where', [cond!, zero, dy!]), y!)];
  },
};

export const Greater: OpDef = { attrs: {}, infer: comparison, vjp: null };
export const Less: OpDef = { attrs: {}, infer: comparison, vjp: null };
export const Equal: OpDef = { attrs: {}, infer: comparison, vjp: null };
export const Not: OpDef = { attrs: {}, infer: (inputs, _a, node) => [{ dtype: 'bool', shape: arg(inputs, 0, node).shape }], vjp: null };

export const ArgMax: OpDef<typeof argMaxAttrs> = {
  attrs: argMaxAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    const { axis, keepdims } = readAttrs(argMaxAttrs, attrs);
    const a = axis < 0 ? axis + x.shape.length : axis;
    const keep = keepdims === 1;
    return [{ dtype: 'int64', shape: x.shape.flatMap((d, i) => (i !== a ? [d] : keep ? [1] : [])) }];
  },
  vjp: null,
};

export const OneHot: OpDef<typeof oneHotAttrs> = {
  attrs: oneHotAttrs,
  infer: (inputs, _attrs, node) => {
    const indices = arg(inputs, 0, node);
    const [depth] = staticDims(arg(inputs, 1, node), node);
    return [{ dtype: arg(inputs, 2, node).dtype, shape: [...indices.shape, depth!] }];
  },
  vjp: null,
};

/** Training-mode dropout: outputs (y, mask); y = x * mask / (1 - ratio). */
export const Dropout: OpDef<typeof dropoutAttrs> = {
  attrs: dropoutAttrs,
  infer: (inputs, _attrs, node) => {
    const x = floatInput(inputs, 0, node);
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: 'bool', shape: x.shape },
    ];
  },
  vjp: ([dy], { inputs: [x, ratio, training], outputs: [, mask], name }, b) => {
    // Without training_mode (or with a constant false) Dropout is the identity.
    const off = !training || (training.constant !== undefined && !training.constant.data[0]);
    if (off) return [dy!, null, null];
    if (!mask) throw new Error(`no gradient rule for op Dropout without its mask output (node ${name})`);
    const keep = b.op('Cast', [mask], { to: onnxDataType[x!.dtype] });
    const scale = b.op('Sub', [scalar(b, 1, x!), ratio ?? scalar(b, 0.5, x!)]);
    return [b.op('Div', [b.op('Mul', [dy!, keep]), scale]), null, null];
  },
};
