import type { Dim, NestedNumbers } from '@onnxpipe/runtime';

/** `[batch, 1]`; `?` for an undeclared rank. */
export const formatShape = (shape: readonly Dim[] | null): string => (shape === null ? '?' : `[${shape.join(', ')}]`);

/** Shape for protocols that take integers only: symbolic dimensions become -1, an undeclared rank `[-1]`. */
export const numericShape = (shape: readonly Dim[] | null): number[] =>
  shape === null ? [-1] : shape.map((d) => (typeof d === 'number' ? d : -1));

/** The product of `dims`; 1 for a scalar. */
export const elementCount = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Nests flat row-major `values` into arrays of `dims`; a plain number for `[]`. */
export function reshape(values: ArrayLike<number>, dims: readonly number[]): NestedNumbers {
  let offset = 0;
  const build = (axis: number): NestedNumbers =>
    axis === dims.length ? (values[offset++] as number) : Array.from({ length: dims[axis]! }, () => build(axis + 1));
  return build(0);
}
