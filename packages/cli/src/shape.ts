import type { Dim } from '@onnxpipe/runtime';

/** `[batch, 1]`; `?` for an undeclared rank. */
export const formatShape = (shape: readonly Dim[] | null): string => (shape === null ? '?' : `[${shape.join(', ')}]`);

/** Shape for protocols that take integers only: symbolic dimensions become -1, an undeclared rank `[-1]`. */
export const numericShape = (shape: readonly Dim[] | null): number[] =>
  shape === null ? [-1] : shape.map((d) => (typeof d === 'number' ? d : -1));
