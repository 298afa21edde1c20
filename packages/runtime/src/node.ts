import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { createLoadModel } from './core/load.js';

export * from './core/index.js';

/** Loads an ONNX model from a file path, an http(s) URL or bytes, and opens an onnxruntime-node session (CPU by default). */
export const loadModel = createLoadModel({
  InferenceSession: ort.InferenceSession,
  Tensor: ort.Tensor,
  executionProviders: ['cpu'],
  readFile: (path) => readFile(path),
});
