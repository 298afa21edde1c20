import type { Dtype } from '@onnxpipe/runtime';

/** Open Inference Protocol datatype name of each runtime dtype; Triton's config type is `TYPE_` + this name. */
export const OIP_DATATYPES = {
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  int8: 'INT8',
  uint8: 'UINT8',
  int16: 'INT16',
  uint16: 'UINT16',
  int32: 'INT32',
  uint32: 'UINT32',
  int64: 'INT64',
  uint64: 'UINT64',
  bool: 'BOOL',
} as const satisfies Record<Dtype, string>;

export type OipDatatype = (typeof OIP_DATATYPES)[Dtype];

export const oipDatatype = (dtype: Dtype): OipDatatype => OIP_DATATYPES[dtype];

export const tritonDatatype = (dtype: Dtype): string => `TYPE_${OIP_DATATYPES[dtype]}`;

/** The platform Triton names for ONNX models run by onnxruntime: the server's model metadata and export-triton both give it. */
export const PLATFORM = 'onnxruntime_onnx';
