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
  const axes: number[] = [];
  dy.shape.forEach((d, i) => {
    if (i < lead || (x.shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  if (axes.length === 0) return dy;
  const summed = b.op('ReduceSum', [dy, b.constant(axes, 'int64')], { keepdims: 1 });
  return lead > 0 ? reshapeLike(b, summed, x) : summed;
}

export function scalar(b: GraphBuilder, value: number, like: Value): Value {
  return b.constant(value, like.dtype);
}
