import { arg, knownDims, normalizeAxis, numbersOnly } from './rules.js';
import { reshapeLike, reshapeTo, zerosOf } from './grad.js';
import { readAttrs, type OpDef } from './types.js';
import { formatShape, type Attrs, type Dim, type Value } from '../ir/types.js';

const flattenAttrs = { axis: { type: 'int', default: 1 } } as const;
const splitAttrs = { axis: { type: 'int', default: 0 }, num_outputs: { type: 'int' } } as const;

/** The product of some dims: a number, the one symbolic dim when the rest multiply to 1, or '?'. */
function product(dims: readonly Dim[]): Dim {
  const symbols = dims.filter((d) => typeof d !== 'number');
  const known = dims.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  if (symbols.length === 0) return known;
  return symbols.length === 1 && known === 1 ? symbols[0]! : '?';
}

/** Back to the input's shape: the gradient of every op that only reshapes. */
const reshapeBack: OpDef['vjp'] = ([dy], { inputs: [x] }, b) => [reshapeTo(b, dy!, x!), null];

/** ONNX Squeeze (opset 13 form: axes an optional int64 input). */
export const Squeeze: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => {
    const x = arg(inputs, 0, node);
    if (!inputs[1]) {
      if (x.shape.some((d) => typeof d !== 'number')) {
        throw new Error(`node ${node}: Squeeze without axes on ${formatShape(x.shape)}: whether a symbolic dim is 1 is known only at run time; give the axes`);
      }
      return [{ dtype: x.dtype, shape: x.shape.filter((d) => d !== 1) }];
    }
    const given = numbersOnly(knownDims(inputs[1]));
    if (!given) throw new Error(`node ${node}: Squeeze's axes must be a constant`);
    const axes = new Set(given.map((a) => normalizeAxis(a, x.shape.length, node)));
    for (const a of axes) {
      const d = x.shape[a]!;
      if (typeof d === 'number' && d !== 1) throw new Error(`node ${node}: Squeeze of axis ${a} of ${formatShape(x.shape)}, which is ${d}, not 1`);
    }
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.has(i)) }];
  },
  vjp: reshapeBack,
};

/** ONNX Flatten: [d0 … d(axis−1)] and [d(axis) … ] each multiplied out into a 2-D result. */
export const Flatten: OpDef<typeof flattenAttrs> = {
  attrs: flattenAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    const { axis } = readAttrs(flattenAttrs, attrs);
    const rank = x.shape.length;
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a > rank) throw new Error(`node ${node}: Flatten's axis ${axis} is out of range for rank ${rank} (from ${-rank} to ${rank})`);
    return [{ dtype: x.dtype, shape: [product(x.shape.slice(0, a)), product(x.shape.slice(a))] }];
  },
  vjp: reshapeBack,
};

/** The sizes of a Split node's outputs along its axis ('?' where known only at run time). */
function splitSizes(inputs: readonly (Value | null)[], attrs: Attrs, node: string): { axis: number; sizes: Dim[] } {
  const x = arg(inputs, 0, node);
  const { axis: given, num_outputs } = readAttrs(splitAttrs, attrs);
  const axis = normalizeAxis(given, x.shape.length, node);
  const d = x.shape[axis]!;
  const splitIn = inputs[1];
  if (splitIn && num_outputs !== undefined) throw new Error(`node ${node}: Split takes a split input or num_outputs, not both`);
  if (splitIn) {
    const sizes = numbersOnly(knownDims(splitIn));
    if (!sizes) {
      const count = splitIn.shape[0];
      if (typeof count !== 'number') throw new Error(`node ${node}: Split's split input must have a static length`);
      return { axis, sizes: new Array<Dim>(count).fill('?') };
    }
    const total = sizes.reduce((s, v) => s + v, 0);
    if (sizes.some((v) => v < 0) || (typeof d === 'number' && total !== d)) {
      throw new Error(`node ${node}: Split sizes [${sizes.join(', ')}] must be non-negative and add up to ${d}, the size of axis ${axis}`);
    }
    return { axis, sizes };
  }
  if (num_outputs === undefined) throw new Error(`node ${node}: Split needs a split input or the num_outputs attribute`);
  if (num_outputs < 1) throw new Error(`node ${node}: Split's num_outputs must be at least 1, got ${num_outputs}`);
  if (typeof d !== 'number') return { axis, sizes: new Array<Dim>(num_outputs).fill('?') };
  // Chunks of ceil(d / n), the last one smaller when d does not divide (opset 18).
  const chunk = Math.ceil(d / num_outputs);
  const last = d - chunk * (num_outputs - 1);
  if (last < 0) throw new Error(`node ${node}: Split of ${d} elements into ${num_outputs} chunks of ${chunk} leaves the last one negative`);
  return { axis, sizes: [...new Array<number>(num_outputs - 1).fill(chunk), last] };
}

/** ONNX Split (opset 18 form): sizes from the split input, or num_outputs equal chunks. */
export const Split: OpDef<typeof splitAttrs> = {
  attrs: splitAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    const { axis, sizes } = splitSizes(inputs, attrs, node);
    return sizes.map((size) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? size : d)) }));
  },
  // The outputs' gradients side by side; zeros for an output the loss does not use.
  vjp: (dys, { inputs: [x], outputs, attrs, name }, b) => {
    const axis = normalizeAxis(readAttrs(splitAttrs, attrs).axis, x!.shape.length, name);
    const parts = outputs.map((out, i) => dys[i] ?? zerosOf(b, out));
    const dx = parts.length === 1 ? parts[0]! : b.op('Concat', parts, { axis });
    return [dx.shape.some((d, i) => d !== x!.shape[i]) ? reshapeLike(b, dx, x!) : dx, null];
  },
};

/** ONNX Tile: dim i repeated repeats[i] times. */
export const Tile: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => {
    const x = arg(inputs, 0, node);
    const repeats = numbersOnly(knownDims(arg(inputs, 1, node)));
    if (!repeats) throw new Error(`node ${node}: Tile's repeats must be a constant`);
    if (repeats.length !== x.shape.length || repeats.some((r) => r < 0)) {
      throw new Error(`node ${node}: Tile's repeats [${repeats.join(', ')}] must be ${x.shape.length} non-negative counts, one per axis of ${formatShape(x.shape)}`);
    }
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (repeats[i] === 1 ? d : typeof d === 'number' ? d * repeats[i]! : '?')) }];
  },
  // Tile lays out each axis as [repeats, d] (repeat-major): reshape to [r0, d0, r1, d1, …] and sum over the r axes.
  vjp: ([dy], { inputs: [x, repeatsIn] }, b) => {
    const repeats = numbersOnly(knownDims(repeatsIn!))!;
    if (repeats.every((r) => r === 1)) return [dy!, null];
    const rank = repeats.length;
    const int64 = (v: readonly number[]) => b.constant(v, 'int64');
    const interleaved = x!.shape.every((d) => typeof d === 'number')
      ? int64(x!.shape.flatMap((d, i) => [repeats[i]!, d as number]))
      : b.op('Reshape', [b.op('Concat', [b.constant(repeats, 'int64', [rank, 1]), b.op('Reshape', [b.op('Shape', [x!]), int64([rank, 1])])], { axis: 1 }), int64([2 * rank])]);
    const summed = b.op('ReduceSum', [b.op('Reshape', [dy!, interleaved]), int64(repeats.map((_, i) => 2 * i))], { keepdims: 0 });
    return [summed.shape.some((d, i) => d !== x!.shape[i]) ? reshapeLike(b, summed, x!) : summed, null];
  },
};
