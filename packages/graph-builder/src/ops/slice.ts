import { arg, knownDims, normalizeAxis, numbersOnly } from './rules.js';
import { BEFORE_START, padAxis, reshapeLike, sliceAxis, zerosOf } from './grad.js';
import { type OpDef, type VjpRule } from './types.js';
import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Dim, type Node, type Value } from '../ir/types.js';

/** One sliced axis; start, end and step are undefined when only known at run time. */
interface AxisSlice {
  readonly axis: number;
  /** Position in the node's starts/ends inputs. */
  readonly position: number;
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly step: number | undefined;
}

/**
 * The axes a Slice node cuts (opset 13 form: starts, ends, optional axes and steps as
 * inputs), or undefined when its axes are only known at run time.
 */
function slicedAxes(inputs: readonly (Value | null)[], node: string): AxisSlice[] | undefined {
  const x = arg(inputs, 0, node);
  const [startsIn, endsIn] = [arg(inputs, 1, node), arg(inputs, 2, node)];
  const count = startsIn.shape[0];
  if (startsIn.shape.length !== 1 || endsIn.shape.length !== 1 || endsIn.shape[0] !== count) {
    throw new Error(`node ${node}: Slice's starts and ends must be 1-D of one length, got ${formatShape(startsIn.shape)} and ${formatShape(endsIn.shape)}`);
  }
  const starts = numbersOnly(knownDims(startsIn));
  const ends = numbersOnly(knownDims(endsIn));
  const steps = inputs[4] ? numbersOnly(knownDims(inputs[4])) : undefined;
  const axes = inputs[3] ? numbersOnly(knownDims(inputs[3])) : typeof count === 'number' ? Array.from({ length: count }, (_, i) => i) : undefined;
  if (!axes) return undefined;
  const normalized = axes.map((a) => normalizeAxis(a, x.shape.length, node));
  if (new Set(normalized).size !== normalized.length) throw new Error(`node ${node}: Slice's axes [${axes.join(', ')}] repeat an axis`);
  if (steps?.includes(0)) throw new Error(`node ${node}: Slice's steps must not be 0, got [${steps.join(', ')}]`);
  return normalized.map((axis, i) => ({ axis, position: i, start: starts?.[i], end: ends?.[i], step: inputs[4] ? steps?.[i] : 1 }));
}

/** The first index taken and the number of elements, for a static dim (ONNX Slice clamping). */
function resolve(d: number, start: number, end: number, step: number): { first: number; count: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + d : start;
  const e = end < 0 ? end + d : end;
  if (step > 0) {
    const first = clamp(s, 0, d);
    return { first, count: Math.max(Math.ceil((clamp(e, 0, d) - first) / step), 0) };
  }
  const first = clamp(s, 0, d - 1);
  return { first, count: Math.max(Math.ceil((first - clamp(e, -1, d - 1)) / -step), 0) };
}

const inferSlice: OpDef['infer'] = (inputs, _attrs, node) => {
  const x = arg(inputs, 0, node);
  const slices = slicedAxes(inputs, node);
  if (!slices) return [{ dtype: x.dtype, shape: x.shape.map(() => '?') }];
  const shape: Dim[] = [...x.shape];
  for (const { axis, start, end, step } of slices) {
    const d = x.shape[axis]!;
    const known = typeof d === 'number' && start !== undefined && end !== undefined && step !== undefined;
    shape[axis] = known ? resolve(d, start, end, step).count : '?';
  }
  return [{ dtype: x.dtype, shape }];
};

/**
 * Spread the gradient of one axis sliced with a step other than 1 back to the contiguous
 * run of indices it spans: reverse it for a negative step, then put |step| − 1 zeros
 * between elements. Returns the result, the lowest index it starts at and its length.
 */
function unstride(b: GraphBuilder, grad: Value, axis: number, first: number, count: number, step: number): { value: Value; lowest: number; length: number } {
  const reversed = step < 0 ? sliceAxis(b, grad, axis, -1, BEFORE_START, -1) : grad;
  const stride = Math.abs(step);
  const lowest = step < 0 ? first + (count - 1) * step : first;
  if (stride === 1) return { value: reversed, lowest, length: count };
  const spaced = padAxis(b, b.op('Unsqueeze', [reversed, b.constant([axis + 1], 'int64')]), axis + 1, 0, stride - 1);
  const merged = [...grad.shape];
  merged[axis] = count * stride;
  const target = merged.every((d) => typeof d === 'number')
    ? b.constant(merged as number[], 'int64')
    : b.op('Concat', [b.op('Shape', [spaced], { end: axis }), b.constant([count * stride], 'int64'), b.op('Shape', [spaced], { start: axis + 2 })], { axis: 0 });
  const length = (count - 1) * stride + 1;
  return { value: sliceAxis(b, b.op('Reshape', [spaced, target]), axis, 0, length), lowest, length };
}

/** The clamped start of a step-1 slice of one axis and the zeros after it, computed at run time: [before], [after]. */
function runtimePads(b: GraphBuilder, node: Node, dy: Value, { axis, position, start }: AxisSlice): [Value, Value] {
  const x = node.inputs[0]!;
  const one = (v: Value, from: number) => b.op('Shape', [v], { start: from, end: from + 1 });
  const [d, taken] = [one(x, axis), one(dy, axis)];
  const zero = b.constant([0], 'int64');
  let s = start !== undefined ? b.constant([start], 'int64') : sliceAxis(b, node.inputs[1]!, 0, position, position + 1);
  s = b.op('Where', [b.op('Less', [s, zero]), b.op('Add', [s, d]), s]);
  s = b.op('Where', [b.op('Less', [s, zero]), zero, b.op('Where', [b.op('Greater', [s, d]), d, s])]);
  return [s, b.op('Sub', [b.op('Sub', [d, s]), taken])];
}

/**
 * dX is dY put back where the slice took it, zeros elsewhere: for each axis, strided
 * gradients spread out (unstride), then one Pad places the blocks. Static starts, ends
 * and steps on static dims give constant pads; step-1 slices of symbolic dims or with
 * starts/ends known only at run time get their pads computed in the graph.
 */
const sliceVjp: VjpRule = ([dy], node, b) => {
  const x = node.inputs[0]!;
  const slices = slicedAxes(node.inputs, node.name);
  const fail = (why: string) => new Error(`no gradient rule for op Slice ${why} (node ${node.name})`);
  if (!slices) throw fail('with axes known only at run time');
  const rank = x.shape.length;
  const before: (number | Value)[] = new Array<number>(rank).fill(0);
  const after: (number | Value)[] = new Array<number>(rank).fill(0);
  let g = dy!;
  for (const slice of slices) {
    const { axis, start, end, step } = slice;
    const d = x.shape[axis]!;
    if (typeof d === 'number' && start !== undefined && end !== undefined && step !== undefined) {
      const { first, count } = resolve(d, start, end, step);
      if (count === 0) return [zerosOf(b, x), null, null, null, null];
      const spread = unstride(b, g, axis, first, count, step);
      g = spread.value;
      before[axis] = spread.lowest;
      after[axis] = d - spread.lowest - spread.length;
    } else if (step === 1) {
      [before[axis], after[axis]] = runtimePads(b, node, dy!, slice);
    } else throw fail(step === undefined ? 'with steps known only at run time' : `with step ${step} on an axis of symbolic or run-time bounds`);
  }
  const pads = [...before, ...after];
  const constantPads = pads.every((p): p is number => typeof p === 'number');
  const padsValue = constantPads ? b.constant(pads, 'int64') : b.op('Concat', pads.map((p) => (typeof p === 'number' ? b.constant([p], 'int64') : p)), { axis: 0 });
  const placed = constantPads && pads.every((p) => p === 0) ? g : b.op('Pad', [g, padsValue]);
  // Pads computed at run time leave the padded dims unknown: restore x's (symbolic) shape.
  return [placed.shape.some((d, i) => d !== x.shape[i]) ? reshapeLike(b, placed, x) : placed, null, null, null, null];
};

export const Slice: OpDef = { attrs: {}, infer: inferSlice, vjp: sliceVjp };
