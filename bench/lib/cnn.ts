/**
 * The convolutional workloads of the training benchmark, on real MNIST batches (the first images
 * of the training set, in order) with their deterministic initial parameters and the float64
 * scorer every contender's final parameters go through.
 */
import { elementCount, seededRandom, type ModelState } from '@onnxpipe/graph-builder';
import { loadMnist } from '../../models/mnist/files.js';
import { cnnLayout, cnnLoss, cnnMacsPerExample, type AdamSpec, type CnnBatch, type CnnConfig } from './cnn-reference.js';

export interface CnnWorkload {
  readonly name: 'cnn' | 'cnn-tiny';
  readonly title: string;
  readonly config: CnnConfig;
  readonly optimizer: AdamSpec;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  /** Test images the final parameters are scored on. */
  readonly evalSize: number;
}

const adam: AdamSpec = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** The CNN of `pnpm mnist` without dropout (random masks would differ between contenders). */
export const cnn = (steps = 100): CnnWorkload => ({
  name: 'cnn',
  title: 'CNN: image [B,28,28,1] -> conv 5x5x32 same relu -> maxPool 2 -> conv 5x5x64 same relu -> maxPool 2 -> dense(128, relu) -> dense(10, softmax), sparse CCE, Adam 1e-3, batch 64',
  config: {
    height: 28,
    width: 28,
    channels: 1,
    convs: [
      { filters: 32, kernel: 5, padding: 'same' },
      { filters: 64, kernel: 5, padding: 'same' },
    ],
    hidden: [128],
    classes: 10,
  },
  optimizer: adam,
  batch: 64,
  steps,
  seed: 11,
  evalSize: 64,
});

/**
 * A small CNN (both paddings, two pools, a hidden dense layer) that the float64 reference trains in
 * milliseconds: the gate on every contender's CNN training against an independent computation.
 */
export const cnnTiny = (steps = 30): CnnWorkload => ({
  name: 'cnn-tiny',
  title: 'tiny CNN: image [B,28,28,1] -> conv 5x5x4 same relu -> maxPool 2 -> conv 3x3x8 valid relu -> maxPool 2 -> dense(16, relu) -> dense(10, softmax), sparse CCE, Adam 1e-3, batch 8',
  config: {
    height: 28,
    width: 28,
    channels: 1,
    convs: [
      { filters: 4, kernel: 5, padding: 'same' },
      { filters: 8, kernel: 3, padding: 'valid' },
    ],
    hidden: [16],
    classes: 10,
  },
  optimizer: adam,
  batch: 8,
  steps,
  seed: 12,
  evalSize: 128,
});

/** FLOPs of one training step: 6 × batch × multiply-adds of one example's forward pass. */
export const cnnFlopsPerStep = (w: CnnWorkload): number => 6 * w.batch * cnnMacsPerExample(w.config);

/**
 * Glorot-uniform kernels (fan in and out counting the kernel's area, as Keras does) and zero
 * biases, from a seeded generator.
 */
export function initialCnnParams(w: CnnWorkload): ModelState {
  const random = seededRandom(w.seed);
  const params: ModelState = {};
  for (const [name, dims] of Object.entries(cnnLayout(w.config).params)) {
    const size = elementCount(dims);
    const data = new Float32Array(size);
    if (name.endsWith('.kernel')) {
      const area = dims.length === 4 ? dims[0]! * dims[1]! : 1;
      const limit = Math.sqrt(6 / (area * (dims.at(-2)! + dims.at(-1)!)));
      for (let i = 0; i < size; i++) data[i] = (2 * random() - 1) * limit;
    }
    params[name] = { data, dims: [...dims] };
  }
  return params;
}

/**
 * `count` batches of the first training images, in order, and a fixed evaluation batch of test
 * images. Training pixels get a seeded dither below one grey level (+[0, 1/255)): MNIST's blank
 * background otherwise makes pooling windows of equal maxima, where the gradient rules differ
 * (TF.js and the reference give dY to the first maximum, onnxpipe's MaxPool splits it among all) and
 * the contenders would part after a few steps for that reason alone.
 */
export async function cnnData(w: CnnWorkload, count: number): Promise<{ batches: CnnBatch[]; evalBatch: CnnBatch }> {
  const [train, test] = await Promise.all([loadMnist('train'), loadMnist('t10k')]);
  const pixels = w.config.height * w.config.width * w.config.channels;
  if (pixels !== train.rows * train.cols) throw new Error(`${w.name}: images of ${pixels} pixels, MNIST has ${train.rows * train.cols}`);
  const dither = seededRandom(w.seed * 7919 + 3);
  const slice = (set: typeof train, from: number, n: number, dithered: boolean): CnnBatch => ({
    images: Float32Array.from(set.images.subarray(from * pixels, (from + n) * pixels), (p) => (p + (dithered ? dither() : 0)) / 255),
    labels: Int32Array.from(set.labels.subarray(from, from + n)),
  });
  const usable = Math.floor(train.count / w.batch);
  const batches = Array.from({ length: Math.min(count, usable) }, (_, i) => slice(train, i * w.batch, w.batch, true));
  return { batches, evalBatch: slice(test, 0, w.evalSize, false) };
}

/** The float64 loss of `params` (reference layout) on `batch`: one scorer for every contender. */
export const evaluateCnn = (w: CnnWorkload, params: ModelState, batch: CnnBatch): number => cnnLoss(w.config, Object.fromEntries(Object.entries(params).map(([k, t]) => [k, t.data])), batch.images, batch.labels);
