import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { ortBackend } from './core/backend.js';
import { createLoadModel } from './core/load.js';

export * from './core/index.js';

/** onnxruntime-node: the cpu provider, and model files read from disk. */
export const backend = ortBackend(ort, { cpuProvider: 'cpu', readFile: (path) => readFile(path) });

/** Loads an ONNX model from a file path, an http(s) URL or bytes, and opens an onnxruntime-node session (CPU by default). */
export const loadModel = createLoadModel(backend);
