import type { DType } from '../ir/types.js';

/** TensorProto.DataType numbers of the dtypes the builder uses. */
export const onnxDataType = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 } as const satisfies Record<DType, number>;

export function dtypeFromOnnx(code: number): DType {
  const found = (Object.keys(onnxDataType) as DType[]).find((k) => onnxDataType[k] === code);
  if (!found) throw new Error(`ONNX data type ${code} is not supported (supported: float32, float64, int32, int64, bool)`);
  return found;
}
