/**
 * `pnpm mnist` in pieces and end to end on a subset: batches from the IDX bytes, the confusion
 * matrix against a hand count, and the script itself (a few steps) writing a model that
 * @onnxpipe/runtime loads and that predicts 10 probabilities per image.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadModel } from '@onnxpipe/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTensor, mnistBatches, permutation } from '../models/mnist/batches.js';
import { confusion, formatConfusion } from '../models/mnist/confusion.js';
import { loadMnist } from '../models/mnist/files.js';
import type { MnistSet } from '../models/mnist/idx.js';

const run = promisify(execFile);
const script = (...args: string[]) => run(process.execPath, ['--import', 'tsx', '--conditions=source', 'scripts/mnist.ts', ...args], { maxBuffer: 16 * 1024 * 1024 });

describe('MNIST batches', () => {
  // three 2×2 images with pixels 0..11, labels 7, 8, 9
  const set: MnistSet = { count: 3, rows: 2, cols: 2, images: Uint8Array.from({ length: 12 }, (_, i) => i * 20), labels: Uint8Array.of(7, 8, 9) };

  it('scales pixels to [0, 1] in the shape asked for', () => {
    const t = imageTensor(set, [2, 0], [2, 2, 1]);
    expect(t.dims).toEqual([2, 2, 2, 1]);
    expect([...t.data]).toEqual([160, 180, 200, 220, 0, 20, 40, 60].map((p) => Math.fround(p / 255)));
    expect(() => imageTensor(set, [0], [5])).toThrow(/^image shape \[5\] does not hold a 2×2 image \(4 pixels\)$/);
  });

  it('covers every example once per epoch, reshuffled each epoch, the remainder last', () => {
    const batches = mnistBatches(set, { batchSize: 2, shape: [4], seed: 5 });
    expect(batches.length).toBe(2);
    const epoch = () => [...batches].map(([, y]) => [...y.data]);
    const orders = [epoch(), epoch(), epoch()];
    for (const order of orders) {
      expect(order.map((b) => b.length)).toEqual([2, 1]);
      expect(order.flat().sort()).toEqual([7, 8, 9]);
    }
    expect(new Set(orders.map((o) => o.flat().join())).size).toBeGreaterThan(1);
    // same seed, same orders
    const again = mnistBatches(set, { batchSize: 2, shape: [4], seed: 5 });
    expect([0, 1, 2].map(() => [...again].map(([, y]) => [...y.data]))).toEqual(orders);
  });

  it('keeps image and label together', () => {
    for (const [{ image }, label] of mnistBatches(set, { batchSize: 1, shape: [4], seed: 1 })) {
      const index = label.data[0]! - 7;
      expect(image.data[0]).toBe(Math.fround((index * 4 * 20) / 255));
    }
  });

  it('rejects bad options', () => {
    expect(() => mnistBatches(set, { batchSize: 0, shape: [4] })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => mnistBatches(set, { batchSize: 2, shape: [4], limit: 4 })).toThrow(/limit must be an integer in 1\.\.3, got 4/);
  });

  it('permutation is a permutation', () => {
    expect([...permutation(50, 3)].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('confusion', () => {
  it('counts label × prediction by hand', () => {
    // 3 classes; rows: label 0 predicted 0, label 1 predicted 2, label 2 predicted 2, label 1 predicted 1
    const probs = [0.8, 0.1, 0.1, 0.2, 0.3, 0.5, 0, 0, 1, 0.1, 0.6, 0.3];
    const c = confusion(probs, [0, 1, 2, 1], 3);
    expect(c.matrix).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect([c.correct, c.total, c.accuracy]).toEqual([3, 4, 0.75]);
    expect(formatConfusion(c).split('\n')).toEqual([
      'true\\pred   0   1   2   recall',
      '        0   1   0   0   100.0%',
      '        1   0   1   1    50.0%',
      '        2   0   0   1   100.0%',
    ]);
    expect(() => confusion([0.5, 0.5], [0, 1], 3)).toThrow(/2 probabilities for 2 labels of 3 classes; expected 6/);
  });
});

describe('scripts/mnist.ts on a subset', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mnist-script-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('trains the CNN a few steps, prints validation and the confusion matrix, writes a model the runtime loads', async () => {
    const out = join(tmp, 'mnist.onnx');
    const { stdout } = await script('--model', 'cnn', '--train-limit', '640', '--test-limit', '300', '--epochs', '2', '--batch-size', '32', '--out', out);
    expect(stdout).toMatch(/^training on 640 images, 2 epoch\(s\) of 20 batches of 32; validating on 300 test images$/m);
    expect(stdout).toMatch(/^Epoch: 2\/2, Batch: 20\/20 .*loss: .* validation_accuracy: /m);
    const epochs = [...stdout.matchAll(/^epoch (\d)\/2: test accuracy ([\d.]+)% \((\d+)\/300\)/gm)];
    expect(epochs.map((m) => m[1])).toEqual(['1', '2']);
    expect(stdout).toMatch(/^true\\pred +0 +1 +2 +3 +4 +5 +6 +7 +8 +9 +recall$/m);
    const reported = /^test accuracy ([\d.]+)% \((\d+)\/300\)/m.exec(stdout);
    expect(reported, stdout).not.toBeNull();
    expect(stdout).toContain(`wrote ${out}`);

    // the written model, read back by the runtime, on the same 300 test images
    const test = await loadMnist('t10k');
    const model = await loadModel(await readFile(out));
    try {
      expect(model.inputs).toEqual([{ name: 'image', dtype: 'float32', shape: ['batch', 28, 28, 1] }]);
      expect(model.outputs.map((o) => [o.name, o.dtype, o.shape])).toEqual([['probabilities', 'float32', ['batch', 10]]]);
      const indices = Array.from({ length: 300 }, (_, i) => i);
      const p = (await model.predict({ image: imageTensor(test, indices, [28, 28, 1]) })).probabilities!;
      expect(p.dims).toEqual([300, 10]);
      let correct = 0;
      for (let i = 0; i < 300; i++) {
        const row = [...p.data.subarray(i * 10, i * 10 + 10)].map(Number);
        expect(row.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
        if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
      }
      expect(Number(reported![2])).toBe(correct);
      // 40 steps of Adam already beat chance (10%) by far
      expect(correct / 300).toBeGreaterThan(0.6);
    } finally {
      await model.close();
    }
  }, 120_000);

  it('names a bad option and what it expects', async () => {
    await expect(script('--model', 'resnet')).rejects.toThrow(/--model must be one of cnn, mlp, mlp500, got "resnet"/);
    await expect(script('--epochs', '0')).rejects.toThrow(/--epochs must be an integer >= 1, got "0"/);
    await expect(script('--learning-rate', 'fast')).rejects.toThrow(/--learning-rate must be a positive number, got "fast"/);
  }, 60_000);
});
