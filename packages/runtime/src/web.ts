import * as ort from 'onnxruntime-web';
import { createLoadModel } from './core/load.js';

export * from './core/index.js';

/** Loads an ONNX model from a URL or bytes, and opens an onnxruntime-web session (wasm by default, `['webgpu']` on request). */
export const loadModel = createLoadModel({
  InferenceSession: ort.InferenceSession,
  Tensor: ort.Tensor,
  executionProviders: ['wasm'],
});
