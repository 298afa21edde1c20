import type { DType, TensorConst } from './types.js';

const typedArrayFor: Record<DType, (values: readonly number[]) => ArrayLike<number | bigint | boolean>> = {
  float32: (v) => Float32Array.from(v),
  float64: (v) => Float64Array.from(v),
  int32: (v) => Int32Array.from(v),
  int64: (v) => BigInt64Array.from(v, (x) => BigInt(x)),
  bool: (v) => v.map((x) => x !== 0),
};

export function tensorConst(dtype: DType, dims: readonly number[], values: readonly number[]): TensorConst {
  return { kind: 'tensor', dtype, dims, data: typedArrayFor[dtype](values) };
}
