import type { Model, TensorInfo } from '@onnxpipe/runtime';
import { oipDatatype, PLATFORM } from '../dtypes.js';
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

/** The model version the server reports and serves under `/versions/1`. */
export const MODEL_VERSION = '1';

export const serverMetadata = () => ({ name: 'onnxpipe', version: VERSION, extensions: [] as string[] });

const tensorMetadata = (info: TensorInfo): TensorMetadata => ({
  name: info.name,
  datatype: oipDatatype(info.dtype),
  shape: numericShape(info.shape),
});

/** OIP model metadata: symbolic dimensions are -1. */
export const modelMetadata = (name: string, model: Model): ModelMetadata => ({
  name,
  versions: [MODEL_VERSION],
  platform: PLATFORM,
  inputs: model.inputs.map(tensorMetadata),
  outputs: model.outputs.map(tensorMetadata),
});
