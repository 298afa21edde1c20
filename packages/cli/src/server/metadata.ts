import type { Model, TensorInfo } from '@onnxpipe/runtime';
import { oipDatatype } from '../dtypes.js';
import { numericShape } from '../shape.js';
import { VERSION } from '../version.js';

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export const serverMetadata = () => ({ name: 'onnxpipe', version: VERSION, extensions: [] as string[] });

const tensorMetadata = (info: TensorInfo): TensorMetadata => ({
  name: info.name,
  datatype: oipDatatype(info.dtype),
  shape: numericShape(info.shape),
});

/** OIP model metadata: symbolic dimensions are -1. */
export const modelMetadata = (name: string, model: Model): ModelMetadata => ({
  name,
  versions: ['1'],
  platform: 'onnxruntime',
  inputs: model.inputs.map(tensorMetadata),
  outputs: model.outputs.map(tensorMetadata),
});
