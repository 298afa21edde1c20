import { adam, elementCount, exportTrainStep, initParams, seededRandom, sgd, type Optimizer, type TrainStepModel } from '@onnxpipe/graph-builder';
import * as ortNode from 'onnxruntime-node';
// Under Node, onnxruntime-web resolves to its node build and finds its wasm next to itself.
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { xorColumns, xorModel } from './fixtures/xor.js';

ortWeb.env.wasm.numThreads = 1;

/*
 * The same exported train step (single and fused) run in onnxruntime-web (wasm) and in
 * onnxruntime-node from the same state on the same batches gives the same parameters,
 * optimizer state and losses to 1e-6.
 */

const BATCH = 32;

type Arrays = Record<string, Float32Array>;

interface Backend {
  readonly create: (bytes: Uint8Array) => Promise<{ run: (feeds: Record<string, unknown>) => Promise<Record<string, { data: unknown }>>; release: () => Promise<void> }>;
  readonly tensor: (data: Float32Array, dims: readonly number[]) => unknown;
}

const node: Backend = {
  create: async (bytes) => {
    const s = await ortNode.InferenceSession.create(bytes);
    return { run: (f) => s.run(f as Record<string, ortNode.Tensor>), release: () => s.release() };
  },
  tensor: (data, dims) => new ortNode.Tensor('float32', data, dims),
};

const web: Backend = {
  create: async (bytes) => {
    const s = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    return { run: (f) => s.run(f as Record<string, ortWeb.Tensor>), release: () => s.release() };
  },
  tensor: (data, dims) => new ortWeb.Tensor('float32', data, dims),
};

/** `runs` runs of the model, `steps` batches each, feeding every `.next` output back; returns the final state and all losses. */
async function train(backend: Backend, model: TrainStepModel, start: Arrays, runs: number, steps: number, lr: number) {
  const { signature: sig } = model;
  const session = await backend.create(model.bytes);
  const state: Arrays = { ...start };
  const losses: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const data = xorColumns(steps * BATCH, seededRandom(500 + r));
      const lead = sig.fused ? [steps] : [];
      const feeds: Record<string, unknown> = {
        x1: backend.tensor(data.x1, [...lead, BATCH, 1]),
        x2: backend.tensor(data.x2, [...lead, BATCH, 1]),
        [sig.targets.dense_1!.name]: backend.tensor(data.y, [...lead, BATCH, 1]),
        [sig.lr]: backend.tensor(Float32Array.of(lr), []),
        [sig.step]: backend.tensor(Float32Array.of(1 + r * steps), []),
      };
      for (const p of [...sig.params, ...sig.state]) feeds[p.name] = backend.tensor(state[p.name]!, p.dims);
      const out = await session.run(feeds);
      for (const p of [...sig.params, ...sig.state]) state[p.name] = out[p.next]!.data as Float32Array;
      losses.push(...Array.from(out[sig.loss]!.data as Float32Array));
    }
  } finally {
    await session.release();
  }
  return { state, losses };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(worst) ? Infinity : worst;
}

describe('a train step runs in onnxruntime-web (wasm) as in onnxruntime-node', () => {
  const m = xorModel();
  const params = initParams(m, { seed: 1 });
  const cases: [string, Optimizer, number, number, number][] = [
    ['adam, single step, 3 runs', adam({ learningRate: 0.01 }), 1, 3, 0.01],
    ['sgd momentum, single step, 3 runs', sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), 1, 3, 0.1],
    ['adam, fused (stepsPerRun 5), 2 runs', adam({ learningRate: 0.01 }), 5, 2, 0.01],
  ];
  for (const [name, optimizer, stepsPerRun, runs, lr] of cases) {
    it(name, async () => {
      const model = exportTrainStep(m, { loss: 'binary_cross_entropy', optimizer, stepsPerRun });
      const start: Arrays = {};
      for (const p of model.signature.params) start[p.name] = params[p.name]!.data as Float32Array;
      for (const s of model.signature.state) start[s.name] = new Float32Array(elementCount(s.dims));
      const fromNode = await train(node, model, start, runs, stepsPerRun, lr);
      const fromWeb = await train(web, model, start, runs, stepsPerRun, lr);
      expect(fromWeb.losses).toHaveLength(runs * stepsPerRun);
      expect(maxAbsDiff(fromWeb.losses, fromNode.losses)).toBeLessThanOrEqual(1e-6);
      for (const k of Object.keys(start)) {
        const diff = maxAbsDiff(fromWeb.state[k]!, fromNode.state[k]!);
        const moved = maxAbsDiff(fromNode.state[k]!, start[k]!);
        expect(diff, k).toBeLessThanOrEqual(1e-6);
        // Adam's v is ~1e-5: also hold every tensor to 1e-5 of how far it moved.
        expect(moved, k).toBeGreaterThan(0);
        expect(diff / moved, k).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});
