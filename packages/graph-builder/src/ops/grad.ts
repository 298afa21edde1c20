import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';

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
  return v.shape.every((d) => typeof d === 'number') ? (v.shape as readonly number[]).reduce((a, d) => a * d, 1) : undefined;
}

export function scalar(b: GraphBuilder, value: number, like: Value): Value {
  return b.constant(value, like.dtype);
}
