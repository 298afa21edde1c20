import * as ort from 'onnxruntime-web';
import { ortBackend } from './core/backend.js';
import { createLoadModel } from './core/load.js';

export * from './core/index.js';

/** onnxruntime-web: wasm by default. */
export const backend = ortBackend(ort, { cpuProvider: 'wasm' });

/** Loads an ONNX model from a URL or bytes, and opens an onnxruntime-web session (wasm by default, `['webgpu']` on request). */
export const loadModel = createLoadModel(backend);
