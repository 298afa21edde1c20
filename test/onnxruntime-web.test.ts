import { exportInference, initParams, input, seededRandom, type ModelLike } from '@onnxpipe/graph-builder';
import * as ortNode from 'onnxruntime-node';
// Under Node, `onnxruntime-web` resolves (through its `exports` "node" condition) to
// dist/ort.node.min.mjs, which finds dist/ort-wasm-simd-threaded.{mjs,wasm} next to itself via
// import.meta.url, so no `env.wasm.wasmPaths` is needed. One thread keeps it from starting
// worker threads.
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { xorModel } from './fixtures/xor.js';

ortWeb.env.wasm.numThreads = 1;

type Feeds = Record<string, { data: Float32Array; dims: [number, number] }>;

function randomFeeds(widths: Record<string, number>, batch: number, seed: number): Feeds {
  const next = seededRandom(seed);
  return Object.fromEntries(
    Object.entries(widths).map(([name, w]) => [name, { data: Float32Array.from({ length: batch * w }, () => 4 * next() - 2), dims: [batch, w] as [number, number] }]),
  );
}

async function runNode(bytes: Uint8Array, feeds: Feeds) {
  const session = await ortNode.InferenceSession.create(bytes);
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ortNode.Tensor('float32', f.data, f.dims)])));
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: [...t.dims], data: Array.from(t.data as Float32Array) }]));
}

async function runWeb(bytes: Uint8Array, feeds: Feeds) {
  const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ortWeb.Tensor('float32', f.data, f.dims)])));
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: [...t.dims], data: Array.from(t.data as Float32Array) }]));
}

function threeInputs(): ModelLike {
  const a = input('a', { shape: [null, 1] });
  const b = input('b', { shape: [null, 3] });
  const c = input('c', { shape: [null, 4] });
  return a.concatenate(b, c).dense(5, { activation: 'relu' }).dense(2, { activation: 'softmax' });
}

const cases: [string, () => ModelLike, Record<string, number>, number[]][] = [
  ['XOR', xorModel, { x1: 1, x2: 1 }, [1]],
  ['three inputs → relu → softmax', threeInputs, { a: 1, b: 3, c: 4 }, [2]],
];

describe('exported models run in onnxruntime-web (wasm) as in onnxruntime-node', () => {
  for (const [name, build, widths, outDims] of cases) {
    it(name, async () => {
      const m = build();
      const bytes = exportInference(m, initParams(m, { seed: 42 }));
      for (const batch of [1, 5, 32]) {
        const feeds = randomFeeds(widths, batch, batch);
        const [fromNode, fromWeb] = await Promise.all([runNode(bytes, feeds), runWeb(bytes, feeds)]);
        expect(Object.keys(fromWeb)).toEqual(['dense_1']);
        expect(Object.keys(fromNode)).toEqual(['dense_1']);
        const web = fromWeb.dense_1!;
        const node = fromNode.dense_1!;
        expect(web.dims).toEqual([batch, ...outDims]);
        expect(node.dims).toEqual(web.dims);
        web.data.forEach((v, i) => expect(Math.abs(v - node.data[i]!), `element ${i} at batch ${batch}`).toBeLessThanOrEqual(1e-5));
        // outputs are probabilities; a model that returns constants would not vary across rows
        expect(new Set(web.data).size).toBeGreaterThan(batch > 1 ? 1 : 0);
      }
    });
  }
});
