/**
 * The WebGPU backend: onnxruntime-web's WebGPU build (its own copy of onnxruntime, so sessions and
 * tensors of the wasm build do not mix with it), bound with the runtime's `ortBackend`, for
 * inference and for the trainer.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { createLoadModel, ortBackend } from '@onnxpipe/runtime';
import { Trainer } from '@onnxpipe/trainer';
import { predictor, type PageBackend } from './backend.js';

export async function webgpuBackend(): Promise<PageBackend> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu || !(await gpu.requestAdapter())) throw new Error('this browser offers no WebGPU adapter (navigator.gpu is missing or requestAdapter() gave none)');
  const backend = ortBackend(ort, { cpuProvider: 'wasm' });
  const loadModel = createLoadModel(backend);
  return {
    name: 'webgpu',
    load: async (source) => predictor(await loadModel(source, { executionProviders: ['webgpu'] })),
    trainer: (model, loss, optimizer, options) => new Trainer({ backend, output: undefined }, model, loss, optimizer, { ...options, device: 'webgpu' }),
  };
}
