import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Connect, Plugin } from 'vite';

/** Files below this size are not worth compressing (vite preview's own on-the-fly threshold). */
const MIN_BYTES = 1024;
/** Already compressed formats. */
const skip = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.avif', '.woff2', '.gz', '.br', '.zip']);

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/**
 * Writes a gzip copy (`<file>.gz`, level 9) of every emitted file of at least 1 KiB, and makes
 * `vite preview` serve it with `Content-Encoding: gzip` to clients that accept gzip. Vite's
 * preview server compresses text on the fly but sends `.wasm` and `.onnx` files as they are:
 * onnxruntime-web's 14 MiB wasm is 3.5 MiB gzipped.
 */
export function precompressed(): Plugin {
  let outDir = '';
  let base = '/';
  return {
    name: 'onnxpipe:precompressed',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
      base = config.base;
    },
    async writeBundle(options, bundle) {
      const dir = options.dir ?? outDir;
      await Promise.all(
        Object.keys(bundle)
          .filter((name) => !skip.has(extname(name)))
          .map(async (name) => {
            const path = join(dir, name);
            const bytes = await readFile(path);
            if (bytes.length >= MIN_BYTES) await writeFile(`${path}.gz`, await promisify(gzip)(bytes, { level: 9 }));
          }),
      );
    },
    configurePreviewServer(server) {
      server.middlewares.use(servePrecompressed(() => outDir, base));
    },
  };
}

function servePrecompressed(outDir: () => string, base: string): Connect.NextHandleFunction {
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return next();
    let path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (!path.startsWith(base)) return next();
    path = path.slice(base.length - 1);
    if (path.endsWith('/')) path += 'index.html';
    const root = outDir();
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep)) return next();
    stat(`${file}.gz`).then(
      (s) => {
        res.writeHead(200, {
          'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
          'Content-Encoding': 'gzip',
          'Content-Length': s.size,
          'Cache-Control': 'no-cache',
          Vary: 'Accept-Encoding',
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(`${file}.gz`).pipe(res);
      },
      () => next(),
    );
  };
}
