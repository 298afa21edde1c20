/**
 * The image and text layers on every platform the trainer runs on: a small CNN (conv, batch
 * norm, max and average pooling, depthwise conv, global pooling) and a text model (embedding,
 * layer norm, reshape), trained by the trainer with
 * - the fused K-step model = K single steps (parameters and batch-norm statistics),
 * - onnxruntime-web's wasm build under Node = onnxruntime-node,
 * - the webgpu provider of onnxruntime-node (on Mesa's CPU-emulated Vulkan device, installed by
 *   .ci/system-deps.sh) = the cpu, parameters kept on the device between runs.
 * Correctness only: the emulated device's timings mean nothing. On webgpu every node of these
 * train steps runs on the device except small int64 shape work (the Unsqueeze of embedding
 * indices in the Gather gradient, and shape Gathers onnxruntime inserts), which onnxruntime
 * places on the CPU (seen in its verbose log; see ops/spatial-devices.test.ts).
 */
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { adam, input, seededRandom, type ModelLike, type ModelState } from '@onnxpipe/graph-builder';
import { trainer as nodeTrainer, type Batch } from '../packages/trainer/src/node.js';
import { trainer as webTrainer } from '../packages/trainer/src/web.js';

ortWeb.env.wasm.numThreads = 1;

const cnn = (): ModelLike =>
  input('image', { shape: [null, 8, 8, 1] })
    .conv(4, { kernelSize: 3, padding: 'same', activation: 'relu' })
    .batchNorm({ momentum: 0.9 })
    .maxPool({ kernelSize: 2 })
    .conv(4, { kernelSize: 3, groups: 4, padding: 'same' })
    .avgPool({ kernelSize: 2 })
    .conv(6, { kernelSize: 1, activation: 'tanh' })
    .globalAvgPool()
    .dense(3, { activation: 'softmax' });

const textModel = (): ModelLike =>
  input('ids', { shape: [null, 5], dtype: 'int64' })
    .embedding(20, 4)
    .layerNorm()
    .reshape([20])
    .dense(3, { activation: 'softmax' });

function batches(kind: 'cnn' | 'text', count: number): Batch[] {
  const random = seededRandom(kind === 'cnn' ? 5 : 6);
  return Array.from({ length: count }, () => {
    const labels = { data: BigInt64Array.from({ length: 8 }, () => BigInt(Math.floor(random() * 3))), dims: [8] };
    const inputs =
      kind === 'cnn'
        ? { image: { data: Float32Array.from({ length: 8 * 64 }, () => random()), dims: [8, 8, 8, 1] } }
        : { ids: { data: BigInt64Array.from({ length: 40 }, () => BigInt(Math.floor(random() * 20))), dims: [8, 5] } };
    return [inputs, labels] as Batch;
  });
}

const models = { cnn, text: textModel };

function maxDifference(a: ModelState, b: ModelState): number {
  let worst = 0;
  for (const k of Object.keys(a)) a[k]!.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k]!.data[i]!) / Math.max(1, Math.abs(v)))));
  return worst;
}

describe.each(['cnn', 'text'] as const)('%s model', (kind) => {
  const train = (make: typeof nodeTrainer, stepsPerRun: number, device?: 'cpu' | 'webgpu') =>
    make(models[kind](), 'sparse_categorical_cross_entropy', adam({ learningRate: 0.01 }), { seed: 2, log: 0, ...(device ? { device } : {}) }).run(batches(kind, 6), {}, { stepsPerRun });

  it('learns: the loss falls over 180 steps', async () => {
    const losses: number[] = [];
    await nodeTrainer(models[kind](), 'sparse_categorical_cross_entropy', adam({ learningRate: 0.01 }), { seed: 2, log: 0 })
      .on('epochCompleted', (s) => void losses.push(s.loss))
      .run(batches(kind, 6), {}, { epochs: 30 });
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
  });

  it('fused (3 steps per run) = single steps, batch-norm statistics included', async () => {
    const [single, fused] = [await train(nodeTrainer, 1), await train(nodeTrainer, 3)];
    if (kind === 'cnn') expect(Object.keys(single)).toContain('batchNorm_0.mean');
    expect(maxDifference(single, fused)).toBeLessThan(1e-5);
  });

  it('onnxruntime-web (wasm) = onnxruntime-node', async () => {
    expect(maxDifference(await train(nodeTrainer, 3), await train(webTrainer, 3))).toBeLessThan(1e-5);
  });

  it('webgpu provider (emulated Vulkan) = cpu', { timeout: 60_000 }, async () => {
    expect(maxDifference(await train(nodeTrainer, 3, 'cpu'), await train(nodeTrainer, 3, 'webgpu'))).toBeLessThan(1e-4);
  });
});
