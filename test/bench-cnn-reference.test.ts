/**
 * The benchmark's float64 CNN (bench/lib/cnn-reference.ts), which gates every contender's CNN
 * training: its gradients against central finite differences, its forward pass against TF.js's
 * conv2d / maxPool (an independent implementation, float32), and its training on MNIST; and
 * onnxpipe's contender (bench/lib/onnxpipe-cnn.ts) against it.
 */
import { elementCount, seededRandom } from '@onnxpipe/graph-builder';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cnnTiny, cnnData, evaluateCnn, initialCnnParams } from '../bench/lib/cnn.js';
import { cnnGradients, cnnLayout, cnnLoss, trainCnnReference, type CnnConfig } from '../bench/lib/cnn-reference.js';
import { fromOnnxpipeLayout, toOnnxpipeLayout, trainOnnxpipeCnn } from '../bench/lib/onnxpipe-cnn.js';
import { copyState } from '../bench/lib/workloads.js';

/** Every padding and an even 'same' kernel (one more zero after than before), two pools, a hidden layer. */
const config: CnnConfig = {
  height: 11,
  width: 10,
  channels: 2,
  convs: [
    { filters: 3, kernel: 4, padding: 'same' },
    { filters: 4, kernel: 3, padding: 'valid' },
  ],
  hidden: [5],
  classes: 4,
};
const n = 3;

function randomCase(seed: number) {
  const random = seededRandom(seed);
  const params = Object.fromEntries(
    Object.entries(cnnLayout(config).params).map(([name, dims]) => [name, Float64Array.from({ length: elementCount(dims) }, () => Math.fround((random() - 0.5) * (name.endsWith('bias') ? 0.2 : 0.9)))]),
  );
  // float32 values, so that TF.js (float32) sees exactly the same numbers
  const images = Float64Array.from({ length: n * config.height * config.width * config.channels }, () => Math.fround(random()));
  const labels = Int32Array.from({ length: n }, () => Math.floor(random() * config.classes));
  return { params, images, labels };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the float64 CNN reference', () => {
  it('has the layout of conv → pool → conv → pool → dense → dense', () => {
    const l = cnnLayout(config);
    expect(l.params).toEqual({
      'conv_0.kernel': [4, 4, 2, 3],
      'conv_0.bias': [3],
      'conv_1.kernel': [3, 3, 3, 4],
      'conv_1.bias': [4],
      // 11×10 → same → 11×10 → pool → 5×5 → valid 3×3 → 3×3 → pool → 1×1 × 4 channels
      'dense_0.kernel': [4, 5],
      'dense_0.bias': [5],
      'dense_1.kernel': [5, 4],
      'dense_1.bias': [4],
    });
    expect(() => cnnLayout({ ...config, convs: [{ filters: 1, kernel: 11, padding: 'valid' }] })).toThrow(/conv 0: a 11×11 'valid' kernel leaves 1×0, too small to pool/);
  });

  it('computes the loss TF.js computes (conv2d, maxPool, flatten, dense, log-softmax)', () => {
    for (const seed of [1, 2, 3]) {
      const { params, images, labels } = randomCase(seed);
      const ours = cnnLoss(config, params, images, labels);
      const theirs = tf.tidy(() => {
        const p = (name: string) => tf.tensor(Float32Array.from(params[name]!), cnnLayout(config).params[name] as number[], 'float32');
        let x: tf.Tensor4D = tf.tensor4d(Float32Array.from(images), [n, config.height, config.width, config.channels]);
        config.convs.forEach((c, i) => {
          x = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, p(`conv_${i}.kernel`) as tf.Tensor4D, 1, c.padding), p(`conv_${i}.bias`))) as tf.Tensor4D, 2, 2, 'valid');
        });
        let h: tf.Tensor2D = tf.reshape(x, [n, -1]);
        h = tf.relu(tf.add(tf.matMul(h, p('dense_0.kernel') as tf.Tensor2D), p('dense_0.bias'))) as tf.Tensor2D;
        const logits = tf.add(tf.matMul(h, p('dense_1.kernel') as tf.Tensor2D), p('dense_1.bias'));
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(labels, 'int32'), config.classes), tf.logSoftmax(logits)), 1))).dataSync()[0]!;
      });
      expect(Math.abs(ours - theirs) / ours).toBeLessThan(2e-6);
    }
  });

  it('has the gradients of central finite differences', () => {
    const { params, images, labels } = randomCase(4);
    const { loss, grads } = cnnGradients(config, params, images, labels);
    expect(loss).toBeCloseTo(cnnLoss(config, params, images, labels), 12);
    const random = seededRandom(9);
    const h = 1e-6;
    let checked = 0;
    for (const [name, p] of Object.entries(params)) {
      for (let trial = 0; trial < 12; trial++) {
        const i = Math.floor(random() * p.length);
        const keep = p[i]!;
        p[i] = keep + h;
        const up = cnnLoss(config, params, images, labels);
        p[i] = keep - h;
        const down = cnnLoss(config, params, images, labels);
        p[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(grads[name]![i]! - numeric), `${name}[${i}]: ${grads[name]![i]} vs ${numeric}`).toBeLessThan(1e-7 + 1e-6 * Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBe(8 * 12);
    // and the gradient is not trivially zero
    expect(Math.max(...Object.values(grads).map((g) => Math.max(...g.map(Math.abs))))).toBeGreaterThan(1e-3);
  });

  it('trains the tiny MNIST CNN: the first loss is the initial loss, then it falls', { timeout: 30_000 }, async () => {
    const w = cnnTiny(120);
    const init = initialCnnParams(w);
    const { batches, evalBatch } = await cnnData(w, w.steps);
    const { losses, params } = trainCnnReference(w.config, init, batches, w.steps, w.optimizer);
    expect(losses[0]).toBeCloseTo(evaluateCnn(w, init, batches[0]!), 12);
    const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.subarray(100))).toBeLessThan(0.85 * mean(losses.subarray(0, 20)));
    expect(evaluateCnn(w, params, evalBatch)).toBeLessThan(evaluateCnn(w, init, evalBatch));
  });
});

describe('the onnxpipe CNN contender', () => {
  it('moves conv kernels between [k, k, in, filters] and [filters, in, k, k]', () => {
    const data = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i);
    const onnx = toOnnxpipeLayout({ 'conv_0.kernel': { data, dims: [2, 3, 4, 5] }, 'dense_0.bias': { data: Float32Array.of(1, 2), dims: [2] } });
    expect(onnx['conv_0.kernel']!.dims).toEqual([5, 4, 2, 3]);
    // [ky, kx, c, f] = [1, 2, 3, 4] sits at ((1·3 + 2)·4 + 3)·5 + 4 in the first, at ((4·4 + 3)·2 + 1)·3 + 2 in the second
    expect(onnx['conv_0.kernel']!.data[((4 * 4 + 3) * 2 + 1) * 3 + 2]).toBe(((1 * 3 + 2) * 4 + 3) * 5 + 4);
    expect([...onnx['dense_0.bias']!.data]).toEqual([1, 2]);
    const back = fromOnnxpipeLayout(onnx);
    expect(back['conv_0.kernel']!.dims).toEqual([2, 3, 4, 5]);
    expect([...back['conv_0.kernel']!.data]).toEqual([...data]);
  });

  it('trains the tiny CNN on dithered MNIST as the float64 network does', async () => {
    const w = cnnTiny(6);
    const init = initialCnnParams(w);
    const { batches, evalBatch } = await cnnData(w, w.steps);
    const reference = trainCnnReference(w.config, init, batches, w.steps, w.optimizer);
    for (const stepsPerRun of [1, 3]) {
      const run = await trainOnnxpipeCnn(w, copyState(init), batches, w.steps, { stepsPerRun, threads: 1 });
      run.losses.forEach((l, i) => expect(Math.abs(l - reference.losses[i]!) / reference.losses[i]!, `step ${i + 1}, K=${stepsPerRun}`).toBeLessThan(1e-5));
      expect(evaluateCnn(w, run.params, evalBatch)).toBeCloseTo(evaluateCnn(w, reference.params, evalBatch), 5);
    }
  });
});
