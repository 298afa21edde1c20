import type { Tensor } from 'onnxruntime-common';
import type { Dtype, NumericArray } from './dtypes.js';
import { float16Values } from './float16.js';
import { nest } from './nested.js';
import type { OutputTensor, TensorInfo } from './types.js';

/** An output tensor over flat row-major `data`; `toArray` nests it (64-bit integers become numbers). */
export function outputTensor(name: string, dtype: Dtype, dims: number[], data: NumericArray): OutputTensor {
  // a method, not an arrow assigned to a name: tsx's keepNames wraps each such arrow in a call, made on every predict
  return {
    name,
    dtype,
    dims,
    data,
    toArray() {
      return nest(data instanceof BigInt64Array || data instanceof BigUint64Array ? Array.from(data, Number) : data, dims);
    },
  };
}

/**
 * Wraps an onnxruntime result tensor for a declared model output. float16 data (bit patterns in a
 * `Uint16Array`, or a `Float16Array` where the platform has one) becomes a `Float32Array` of the exact values.
 */
export function toOutputTensor(info: TensorInfo, tensor: Tensor): OutputTensor {
  const data =
    tensor.type === 'float16'
      ? tensor.data instanceof Uint16Array
        ? float16Values(tensor.data)
        : Float32Array.from(tensor.data as ArrayLike<number>)
      : (tensor.data as NumericArray);
  return outputTensor(info.name, info.dtype, [...tensor.dims], data);
}
