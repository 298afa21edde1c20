/**
 * The WebGPU backend: onnxruntime-web's WebGPU build (its own copy of onnxruntime, so sessions and
 * tensors of the wasm build do not mix with it), for inference and for the trainer.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { Trainer } from '@onnxpipe/trainer';
import type { PageBackend } from './backend.js';

export async function webgpuBackend(): Promise<PageBackend> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu || !(await gpu.requestAdapter())) throw new Error('this browser offers no WebGPU adapter (navigator.gpu is missing or requestAdapter() gave none)');
  return {
    name: 'webgpu',
    async load(source) {
      const bytes = typeof source === 'string' ? new Uint8Array(await (await fetch(source)).arrayBuffer()) : source;
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
      const inputShapes = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.isTensor ? [...m.shape] : []]));
      return {
        inputShapes,
        async predict(feeds) {
          const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor('float32', f.data, f.dims)]));
          const out = await session.run(tensors);
          return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]));
        },
        close: () => session.release(),
      };
    },
    trainer: (model, loss, optimizer, options) => new Trainer({ ort, cpuProvider: 'wasm', output: undefined }, model, loss, optimizer, { ...options, device: 'webgpu' }),
  };
}
