import { adam, initParams, seededRandom, sgd, type ModelState } from '@onnxpipe/graph-builder';
import type { OutputTensor } from '@onnxpipe/runtime';
// Under Node, onnxruntime-web resolves to its wasm build (see onnxruntime-web.test.ts); one
// thread keeps it from starting worker threads.
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { trainer as nodeTrainer } from '../packages/trainer/src/node.js';
import { deserializeCheckpoint, predict as webPredict, saveCheckpoints, trainer as webTrainer, type Batch } from '../packages/trainer/src/web.js';
import { float64Params, xorBatch, xorBatches, xorModel, xorProbability } from './fixtures/xor.js';

ortWeb.env.wasm.numThreads = 1;

/*
 * The same platform-free trainer core on onnxruntime-web (wasm) under Node: it trains XOR, and
 * gives the same parameters as onnxruntime-node after the same steps.
 */

/** The XOR network's probability for (a, b), by hand (the float64 reference) from the parameters. */
const forward = (p: ModelState, a: number, b: number): number => xorProbability(float64Params(p), a, b);

function maxDiff(a: ModelState, b: ModelState): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let d = 0;
  for (const k of Object.keys(a)) {
    expect(a[k]!.dims).toEqual(b[k]!.dims);
    expect(a[k]!.data.length).toBe(b[k]!.data.length);
    a[k]!.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - b[k]!.data[i]!))));
  }
  return d;
}

describe('trainer on onnxruntime-web (wasm, in Node)', () => {
  it('trains XOR to truth-table accuracy 1.0', async () => {
    const accuracy: number[] = [];
    const state = await webTrainer(xorModel(), 'binary_cross_entropy', adam({ learningRate: 0.1 }), { seed: 42, log: 0 })
      .metric('accuracy')
      .on('epochCompleted', (s) => void accuracy.push(s.metrics.accuracy!))
      .run(xorBatches(32, 7) as Iterable<Batch>, {}, { epochs: 2, iterations: 200 });
    for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) expect(Math.abs(forward(state, a, b) - (a ^ b))).toBeLessThan(0.1);
    expect(accuracy[1]).toBeGreaterThan(0.99);
  });

  for (const [name, optimizer] of [['sgd', () => sgd({ learningRate: 0.5 })], ['adam', () => adam({ learningRate: 0.05 })]] as const) {
    it(`30 steps (${name}, stepsPerRun 7) give the same parameters as onnxruntime-node`, async () => {
      const next = seededRandom(99);
      const batches = Array.from({ length: 15 }, () => xorBatch(8, next));
      const start = initParams(xorModel(), { seed: 5 });
      const options = { epochs: 2, stepsPerRun: 7 };
      const web = await webTrainer(xorModel(), 'binary_cross_entropy', optimizer(), { log: 0 }).run(batches, start, options);
      const node = await nodeTrainer(xorModel(), 'binary_cross_entropy', optimizer(), { log: 0 }).run(batches, start, options);
      expect(maxDiff(web, start)).toBeGreaterThan(1e-2);
      expect(maxDiff(web, node)).toBeLessThan(1e-5);
    });
  }

  it('progress goes to the output it is given', async () => {
    const text: string[] = [];
    await webTrainer(xorModel(), 'binary_cross_entropy', 'sgd', { output: { write: (t) => void text.push(t), isTTY: false } })
      .run(xorBatches(4, 1) as Iterable<Batch>, {}, { epochs: 2, iterations: 3 });
    expect(text).toEqual([
      expect.stringMatching(/^Epoch: 1\/2, Batch: 3\/3 \((\d+ ms|\d+\.\d\d s)\) loss: \d\.\d{4}\n$/),
      expect.stringMatching(/^Epoch: 2\/2, Batch: 3\/3 \((\d+ ms|\d+\.\d\d s)\) loss: \d\.\d{4}\n$/),
    ]);
  });

  it('saves a checkpoint as bytes and resumes from them: equal to an uninterrupted run', async () => {
    const next = seededRandom(5);
    const batches = Array.from({ length: 4 }, () => xorBatch(8, next));
    const saved: Uint8Array[] = [];
    const make = () => webTrainer(xorModel(), 'binary_cross_entropy', adam({ learningRate: 0.05 }), { seed: 4, log: 0 });
    await make().handle(saveCheckpoints({ save: (bytes) => void saved.push(bytes.slice()) })).run(batches, {}, { epochs: 2, stepsPerRun: 3 });
    expect(saved).toHaveLength(2);
    const checkpoint = deserializeCheckpoint(saved[1]!);
    expect(checkpoint).toMatchObject({ epoch: 2, step: 8 });
    const resumed = await make().run(batches, checkpoint, { epochs: 1, stepsPerRun: 3 });
    const uninterrupted = await make().run(batches, {}, { epochs: 3, stepsPerRun: 3 });
    expect(maxDiff(resumed, uninterrupted)).toBe(0);
    // The web predict runs the trained state on onnxruntime-web.
    const p = (await webPredict(xorModel(), resumed, { x1: [[0], [1]], x2: [[1], [1]] })) as OutputTensor;
    expect(p.data[0]).toBeCloseTo(forward(resumed, 0, 1), 5);
    expect(p.data[1]).toBeCloseTo(forward(resumed, 1, 1), 5);
    await webPredict.release();
  });
});
