import { float16BitsFrom } from './float16.js';

/** Element types this package reads and writes, by their onnxruntime names. */
export type Dtype =
  | 'float16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface DtypeDef {
  /** `TensorProto.DataType` value. */
  onnx: number;
  /** Allowed integer range; absent for floating-point types, which take any number. */
  range?: readonly [min: number, max: number];
  /** Whether `data` is already this dtype's storage (for float16: `Uint16Array` bit patterns, as onnxruntime takes them). */
  is(data: unknown): data is NumericArray;
  /** Numbers to this dtype's storage; float16 rounds each to the nearest half, ties to even. */
  from(values: readonly number[]): NumericArray;
}

const SAFE = Number.MAX_SAFE_INTEGER;

export const DTYPES: Record<Dtype, DtypeDef> = {
  float32: { onnx: 1, is: (d) => d instanceof Float32Array, from: (v) => Float32Array.from(v) },
  uint8: { onnx: 2, range: [0, 255], is: (d) => d instanceof Uint8Array, from: (v) => Uint8Array.from(v) },
  int8: { onnx: 3, range: [-128, 127], is: (d) => d instanceof Int8Array, from: (v) => Int8Array.from(v) },
  uint16: { onnx: 4, range: [0, 65535], is: (d) => d instanceof Uint16Array, from: (v) => Uint16Array.from(v) },
  int16: { onnx: 5, range: [-32768, 32767], is: (d) => d instanceof Int16Array, from: (v) => Int16Array.from(v) },
  int32: { onnx: 6, range: [-(2 ** 31), 2 ** 31 - 1], is: (d) => d instanceof Int32Array, from: (v) => Int32Array.from(v) },
  int64: { onnx: 7, range: [-SAFE, SAFE], is: (d) => d instanceof BigInt64Array, from: (v) => BigInt64Array.from(v, BigInt) },
  bool: { onnx: 9, range: [0, 1], is: (d) => d instanceof Uint8Array, from: (v) => Uint8Array.from(v) },
  float16: { onnx: 10, is: (d) => d instanceof Uint16Array, from: float16BitsFrom },
  float64: { onnx: 11, is: (d) => d instanceof Float64Array, from: (v) => Float64Array.from(v) },
  uint32: { onnx: 12, range: [0, 2 ** 32 - 1], is: (d) => d instanceof Uint32Array, from: (v) => Uint32Array.from(v) },
  uint64: { onnx: 13, range: [0, SAFE], is: (d) => d instanceof BigUint64Array, from: (v) => BigUint64Array.from(v, BigInt) },
};

const BY_ONNX = new Map(Object.entries(DTYPES).map(([name, def]) => [def.onnx, name as Dtype]));

export function dtypeFromOnnx(elemType: number): Dtype | undefined {
  return BY_ONNX.get(elemType);
}
