import type { Tensor } from 'onnxruntime-common';
import type { Dtype, NumericArray } from './dtypes.js';
import { nest } from './nested.js';
import type { OutputTensor, TensorInfo } from './types.js';

/** An output tensor over flat row-major `data`; `toArray` nests it (64-bit integers become numbers). */
export function outputTensor(name: string, dtype: Dtype, dims: number[], data: NumericArray): OutputTensor {
  const toArray = () =>
    nest(data instanceof BigInt64Array || data instanceof BigUint64Array ? Array.from(data, Number) : data, dims);
  return { name, dtype, dims, data, toArray };
}

/** Wraps an onnxruntime result tensor for a declared model output. */
export function toOutputTensor(info: TensorInfo, tensor: Tensor): OutputTensor {
  return outputTensor(info.name, info.dtype, [...tensor.dims], tensor.data as NumericArray);
}
