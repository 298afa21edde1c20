import type { GraphBuilder } from '../ir/builder.js';
import { tensorConst } from '../ir/tensor.js';
import type { DType, Dim, Value } from '../ir/types.js';
import { onnxDataType } from '../onnx/dtypes.js';
import { elementCount } from '../ir/element-count.js';

/** Reshape `v` to the (runtime) shape of `like`. */
export function reshapeLike(b: GraphBuilder, v: Value, like: Value): Value {
  return b.op('Reshape', [v, b.op('Shape', [like])]);
}

/**
 * Undo broadcasting: sum the gradient `dy` over the axes along which `x` was broadcast,
 * so that the result has the shape of `x`.
 */
export function unbroadcast(b: GraphBuilder, dy: Value, x: Value): Value {
  const lead = dy.shape.length - x.shape.length;
  const leading = Array.from({ length: lead }, (_, i) => i);
  const inner: number[] = [];
  x.shape.forEach((d, i) => {
    if (d === 1 && dy.shape[i + lead] !== 1) inner.push(i + lead);
  });
  if (inner.length === 0) return lead === 0 ? dy : b.op('ReduceSum', [dy, b.constant(leading, 'int64')], { keepdims: 0 });
  const summed = b.op('ReduceSum', [dy, b.constant([...leading, ...inner], 'int64')], { keepdims: 1 });
  return lead > 0 ? reshapeTo(b, summed, x) : summed;
}

/** Reshape `v` to the shape of `like`: a constant target when that shape is static. */
export function reshapeTo(b: GraphBuilder, v: Value, like: Value): Value {
  const dims = staticSize(like) === undefined ? undefined : (like.shape as readonly number[]);
  return dims ? b.op('Reshape', [v, b.constant(dims, 'int64')]) : reshapeLike(b, v, like);
}

/** The number of elements of `v` when its shape is static. */
export function staticSize(v: Value): number | undefined {
  return v.shape.every((d) => typeof d === 'number') ? elementCount(v.shape as readonly number[]) : undefined;
}

/**
 * The number of elements along `dims`: a number when they are static, else a scalar of `dtype`,
 * the product of the runtime sizes the builder binds for the symbolic dimensions (in a Loop
 * body they come from outside it, so the count is made once per run); undefined when one is not bound.
 */
export function countOf(b: GraphBuilder, dims: readonly Dim[], dtype: DType): number | Value | undefined {
  let fixed = 1;
  const sizes: Value[] = [];
  for (const d of dims) {
    if (typeof d === 'number') fixed *= d;
    else {
      const size = b.dimSize(d);
      if (!size) return undefined;
      sizes.push(size);
    }
  }
  if (sizes.length === 0) return fixed;
  const product = sizes.reduce((p, s) => b.op('Mul', [p, s]));
  return b.op('Cast', [fixed === 1 ? product : b.op('Mul', [product, b.constant(fixed, 'int64')])], { to: onnxDataType[dtype] });
}

export function scalar(b: GraphBuilder, value: number, like: Value): Value {
  return b.constant(value, like.dtype);
}

/** Zeros of the (runtime) shape and dtype of `like`: a constant when that shape is static. */
export function zerosOf(b: GraphBuilder, like: Value): Value {
  const size = staticSize(like);
  if (size !== undefined) return b.constant(new Array<number>(size).fill(0), like.dtype, like.shape as readonly number[]);
  return b.op('ConstantOfShape', [b.op('Shape', [like])], { value: tensorConst(like.dtype, [1], [0]) });
}

/**
 * A reduction's output (or its gradient) `v` with the reduced axes of `x` restored as 1s,
 * so that it broadcasts against `x`: Unsqueeze when the node dropped them (keepdims 0).
 */
export function keepReducedDims(b: GraphBuilder, v: Value, x: Value, axes: readonly number[], keepdims: boolean): Value {
  if (keepdims) return v;
  const all = axes.length === 0 ? x.shape.map((_, i) => i) : axes;
  return b.op('Unsqueeze', [v, b.constant([...all].sort((p, q) => p - q), 'int64')]);
}

/** Far below any index: a backward Slice (step < 0) that ends here runs to index 0. */
export const BEFORE_START = -Number.MAX_SAFE_INTEGER;

/** Slice `v` along one axis: [start, end) by `step` (ONNX Slice clamping). */
export function sliceAxis(b: GraphBuilder, v: Value, axis: number, start: number, end: number, step = 1): Value {
  const int64 = (n: number) => b.constant([n], 'int64');
  return b.op('Slice', [v, int64(start), int64(end), int64(axis), int64(step)]);
}

/** Zero-pad `v` along one axis (a negative count crops), with pads for every axis so any opset from 11 runs it. */
export function padAxis(b: GraphBuilder, v: Value, axis: number, before: number, after: number): Value {
  if (before === 0 && after === 0) return v;
  const pads = new Array<number>(2 * v.shape.length).fill(0);
  pads[axis] = before;
  pads[v.shape.length + axis] = after;
  return b.op('Pad', [v, b.constant(pads, 'int64')]);
}
