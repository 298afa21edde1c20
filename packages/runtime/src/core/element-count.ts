/**
 * The number of elements of a tensor of `dims`: their product, 1 for a scalar (`[]`), 0 when a
 * dimension is 0. Internal: runtime does not depend on graph-builder, which exports the same helper.
 */
export const elementCount = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);
