import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin } from 'vite';

const modelFile = /^\/([\w.-]+\.onnx)$/;

/**
 * Serves the `.onnx` files of `dir` at `<base>models/` under the dev server, and copies them to
 * `models/` in the build output (so `vite preview` and any static server have them too).
 */
export function serveModels(dir: string): Plugin {
  return {
    name: 'onnxpipe:models',
    configureServer(server) {
      server.middlewares.use('/models', (req, res, next) => {
        const name = modelFile.exec(req.url?.split('?')[0] ?? '')?.[1];
        if (!name) return next();
        readFile(join(dir, name)).then(
          (bytes) => res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache' }).end(bytes),
          () => res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no ${name} in ${dir}`),
        );
      });
    },
    async generateBundle() {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.endsWith('.onnx'))) {
        this.emitFile({ type: 'asset', fileName: `models/${name}`, source: await readFile(join(dir, name)) });
      }
    },
  };
}
