/** The number of elements of a tensor of `dims`: their product, 1 for a scalar (`[]`), 0 when a dimension is 0. */
export const elementCount = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);
