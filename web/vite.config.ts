import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type UserConfig } from 'vite';
import { serveModels } from './serve-models.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The XOR page's Vite config, serving the models in `modelsDir` (default: the repo's models/). */
export function xorPageConfig(modelsDir = here('../models')): UserConfig {
  return {
    root: here('.'),
    // 'browser' picks the web entries of @onnxpipe/runtime and @onnxpipe/trainer, 'source' their
    // TypeScript sources, so the page needs no `tsc -b` first.
    resolve: { conditions: ['browser', 'source', ...defaultClientConditions] },
    // onnxruntime-web finds its .wasm through `new URL('ort-wasm-….wasm', import.meta.url)`.
    // Pre-bundling would move the module away from the file, so leave it as is: the dev server
    // then serves the .wasm next to it, and `vite build` emits it as an asset.
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    build: { target: 'es2022', chunkSizeWarningLimit: 1024, reportCompressedSize: false },
    plugins: [serveModels(modelsDir)],
  };
}

export default defineConfig(xorPageConfig());
