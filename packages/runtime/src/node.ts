import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { ortBackend } from './core/backend.js';
import { createLoadModel } from './core/load.js';

export * from './core/index.js';

/** onnxruntime-node: the cpu provider, model files read from disk, and the cores this process may use. */
export const backend = ortBackend(ort, { cpuProvider: 'cpu', readFile: (path) => readFile(path), cores: availableParallelism() });

/** Loads an ONNX model from a file path, an http(s) URL or bytes, and opens an onnxruntime-node session (CPU by default). */
export const loadModel = createLoadModel(backend);
