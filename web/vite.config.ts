import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type UserConfig } from 'vite';
import { precompressed } from './precompressed.js';
import { serveMnistData } from './serve-mnist-data.js';
import { serveModels } from './serve-models.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The pages' Vite config (the XOR page and the MNIST page), serving the models in `modelsDir` (default: the repo's models/). */
export function pageConfig(modelsDir = here('../models')): UserConfig {
  return {
    root: here('.'),
    resolve: {
      // 'browser' picks the web entries of @onnxpipe/runtime and @onnxpipe/trainer, 'source' their
      // TypeScript sources, so the pages need no `tsc -b` first.
      conditions: ['browser', 'source', ...defaultClientConditions],
      // The web entries import onnxruntime-web, whose default build is the WebGPU (JSEP) one with a
      // 27 MiB wasm. The pages run on wasm, so they get the wasm-only build (a 14 MiB wasm, 3.5 MiB
      // gzipped); backend.ts loads onnxruntime-web/webgpu only when the user picks WebGPU.
      alias: [{ find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/wasm' }],
    },
    // onnxruntime-web finds its .wasm through `new URL('ort-wasm-….wasm', import.meta.url)`.
    // Pre-bundling would move the module away from the file, so leave it as is: the dev server
    // then serves the .wasm next to it, and `vite build` emits it as an asset.
    optimizeDeps: { exclude: ['onnxruntime-web', 'onnxruntime-web/wasm', 'onnxruntime-web/webgpu'] },
    build: {
      target: 'es2022',
      chunkSizeWarningLimit: 1024,
      reportCompressedSize: false,
      rollupOptions: { input: { index: here('index.html'), mnist: here('mnist.html'), finetune: here('finetune.html') } },
    },
    plugins: [serveModels(modelsDir), serveMnistData(), precompressed()],
  };
}

export default defineConfig(pageConfig());
