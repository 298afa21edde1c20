import type { Tensor } from 'onnxruntime-common';
import type { NumericArray } from './dtypes.js';
import { nest } from './nested.js';
import type { OutputTensor, TensorInfo } from './types.js';

/** Wraps an onnxruntime result tensor for a declared model output. */
export function toOutputTensor(info: TensorInfo, tensor: Tensor): OutputTensor {
  const data = tensor.data as NumericArray;
  const dims = [...tensor.dims];
  const toArray = () =>
    nest(data instanceof BigInt64Array || data instanceof BigUint64Array ? Array.from(data, Number) : data, dims);
  return { name: info.name, dtype: info.dtype, dims, data, toArray };
}
