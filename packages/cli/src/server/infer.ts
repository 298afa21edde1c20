import type { Model, OutputTensor, TensorData, TensorInfo } from '@onnxpipe/runtime';
import { oipDatatype } from '../dtypes.js';
import { HttpError } from './http-error.js';
import { flattenData } from './tensors.js';
import { elementCount } from '@onnxpipe/graph-builder';

export interface InferInput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown;
}

export interface InferRequest {
  id?: string;
  inputs: InferInput[];
  outputs?: { name: string }[];
}

export interface InferOutput {
  name: string;
  datatype: string;
  shape: number[];
  data: number[] | boolean[];
}

export interface InferResponse {
  model_name: string;
  id?: string;
  outputs: InferOutput[];
}

const list = (infos: readonly TensorInfo[]) => infos.map((i) => i.name).join(', ');

/** Turns an infer request's inputs into runtime tensors, checking names, datatypes, sizes and the element limit first. */
export function decodeInputs(model: Model, inputs: readonly InferInput[], maxElements: number): Record<string, TensorData> {
  let total = 0;
  for (const input of inputs) total += elementCount(input.shape);
  if (total > maxElements) {
    throw new HttpError(413, `the request's input tensors hold ${total} elements, over the limit of ${maxElements}`);
  }
  const tensors: Record<string, TensorData> = {};
  const seen = new Set<string>();
  for (const input of inputs) {
    const info = model.inputs.find((i) => i.name === input.name);
    if (!info) throw new HttpError(400, `unknown input '${input.name}'; the model expects inputs: ${list(model.inputs)}`);
    if (seen.has(input.name)) throw new HttpError(400, `input '${input.name}' is given more than once`);
    seen.add(input.name);
    const datatype = oipDatatype(info.dtype);
    if (input.datatype !== datatype) {
      throw new HttpError(400, `input '${input.name}' has datatype ${JSON.stringify(input.datatype)}, but the model expects ${datatype}`);
    }
    const data = flattenData(input.name, info.dtype, input.shape, elementCount(input.shape), input.data);
    tensors[input.name] = { data, dims: input.shape };
  }
  const missing = model.inputs.filter((i) => !seen.has(i.name));
  if (missing.length > 0) {
    const names = missing.map((i) => `'${i.name}'`).join(', ');
    throw new HttpError(400, `missing input${missing.length > 1 ? 's' : ''} ${names}; the model expects inputs: ${list(model.inputs)}`);
  }
  return tensors;
}

/** The model outputs a request asks for, each once and in the order first asked (all of them when it names none), checked before running. */
export function selectOutputs(model: Model, requested: InferRequest['outputs']): readonly TensorInfo[] {
  if (requested === undefined || requested.length === 0) return model.outputs;
  return [...new Set(requested.map((o) => o.name))].map((name) => {
    const info = model.outputs.find((o) => o.name === name);
    if (!info) throw new HttpError(400, `unknown output '${name}'; the model has outputs: ${list(model.outputs)}`);
    return info;
  });
}

/** One OIP output tensor: flat row-major data, 64-bit integers as numbers, booleans for `bool`. */
export function encodeOutput(tensor: OutputTensor): InferOutput {
  const { data, dtype } = tensor;
  const values =
    dtype === 'bool'
      ? Array.from(data as Uint8Array, (v) => v !== 0)
      : data instanceof BigInt64Array || data instanceof BigUint64Array
        ? Array.from(data, Number)
        : Array.from(data);
  return { name: tensor.name, datatype: oipDatatype(dtype), shape: tensor.dims, data: values };
}
