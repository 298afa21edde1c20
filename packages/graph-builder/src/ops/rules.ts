import { formatShape, isFloat, type Attrs, type Dim, type DType, type Shape, type Value } from '../ir/types.js';
import type { Signature } from './types.js';

export function arg(inputs: readonly (Value | null)[], i: number, node: string): Value {
  const v = inputs[i];
  if (!v) throw new Error(`node ${node}: input ${i} is required`);
  return v;
}

export function floatInput(inputs: readonly (Value | null)[], i: number, node: string): Value {
  const v = arg(inputs, i, node);
  if (!isFloat(v.dtype)) throw new Error(`node ${node}: input ${i} must be float32 or float64, got ${v.dtype}`);
  return v;
}

export function normalizeAxis(axis: number, rank: number, node: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`node ${node}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcasting of two static shapes; a symbolic dim only meets itself or 1. */
export function broadcastShapes(a: Shape, b: Shape, node: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new Error(`node ${node}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`);
  }
  return out;
}

export function sameDType(values: readonly Value[], node: string): DType {
  const first = values[0] as Value;
  for (const v of values) {
    if (v.dtype !== first.dtype) throw new Error(`node ${node}: inputs mix ${first.dtype} and ${v.dtype}`);
  }
  return first.dtype;
}

/**
 * The static contents of a shape-like input: a builder constant, the output of a Constant
 * node, or the output of a Shape node (whose dims are then those of its input, symbolic
 * ones included).
 */
export function staticDims(v: Value, node: string): Dim[] {
  const known = knownDims(v);
  if (!known) throw new Error(`node ${node}: input '${v.name}' must be a constant or the output of a Shape node`);
  return known;
}

/** The static contents of `v` as staticDims reads them, or undefined when they are only known at run time. */
export function knownDims(v: Value): Dim[] | undefined {
  if (v.constant) return Array.from(v.constant.data as ArrayLike<number | bigint>, Number);
  const producer = v.producer;
  if (producer?.op === 'Constant') return constantNodeValues(producer.attrs);
  if (producer?.op === 'Shape' && producer.inputs[0]) {
    const dims = producer.inputs[0].shape;
    const [from, to] = shapeSpan(dims.length, producer.attrs);
    return dims.slice(from, to);
  }
  return undefined;
}

/** The dims [from, to) a Shape node with attributes `attrs` returns of a rank-`rank` input (start, end as in Python slicing). */
export function shapeSpan(rank: number, attrs: Attrs): [number, number] {
  const { start = 0, end = rank } = attrs as { start?: number; end?: number };
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
  return [clamp(start), Math.max(clamp(end), clamp(start))];
}

/** The numbers a Constant node holds (its `value` tensor or one of its value_* attributes). */
export function constantNodeValues(attrs: Attrs): number[] | undefined {
  const given = attrs.value ?? attrs.value_int ?? attrs.value_ints ?? attrs.value_float ?? attrs.value_floats;
  if (given === undefined) return undefined;
  if (typeof given === 'number') return [given];
  if (Array.isArray(given)) return given.map(Number);
  const tensor = given as { kind?: string; data?: ArrayLike<number | bigint | boolean> };
  return tensor.kind === 'tensor' && tensor.data ? Array.from(tensor.data, Number) : undefined;
}

/** `known` when every element is a number, else undefined. */
export function numbersOnly(known: readonly Dim[] | undefined): number[] | undefined {
  return known && known.every((d): d is number => typeof d === 'number') ? [...known] : undefined;
}

export const sameAsFirst = (inputs: readonly (Value | null)[], _attrs: Attrs, node: string): Signature[] => {
  const x = arg(inputs, 0, node);
  return [{ dtype: x.dtype, shape: x.shape }];
};

export const floatUnary = (inputs: readonly (Value | null)[], _attrs: Attrs, node: string): Signature[] => {
  const x = floatInput(inputs, 0, node);
  return [{ dtype: x.dtype, shape: x.shape }];
};

export const broadcastBinary = (inputs: readonly (Value | null)[], _attrs: Attrs, node: string): Signature[] => {
  const a = arg(inputs, 0, node);
  const b = arg(inputs, 1, node);
  return [{ dtype: sameDType([a, b], node), shape: broadcastShapes(a.shape, b.shape, node) }];
};

export const comparison = (inputs: readonly (Value | null)[], attrs: Attrs, node: string): Signature[] => [
  { dtype: 'bool', shape: broadcastBinary(inputs, attrs, node)[0]!.shape },
];

/** Shape after reducing `axes` (all axes when empty), keeping reduced dims as 1 or dropping them. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean, node: string): Dim[] {
  const norm = new Set(axes.length === 0 ? shape.map((_, i) => i) : axes.map((a) => normalizeAxis(a, shape.length, node)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!norm.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}
