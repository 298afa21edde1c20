/**
 * MNIST examples as training batches: pixels scaled to [0, 1] as float32 in the model's input
 * shape ([n, 28, 28, 1] or flat [n, 784]: the same row-major bytes), labels as class indices.
 * Platform-free (Node and browser).
 */
import { elementCount, seededRandom } from '@onnxpipe/graph-builder';
import type { MnistSet } from './idx.js';

export interface ImageTensor {
  readonly data: Float32Array;
  readonly dims: number[];
}

export interface LabelTensor {
  readonly data: Int32Array;
  readonly dims: number[];
}

export type MnistBatch = readonly [inputs: { readonly image: ImageTensor }, target: LabelTensor];

/** Dimensions of one image as the model takes it: [28, 28, 1] for a CNN, [784] for a dense network. */
export type ImageShape = readonly number[];

function checkShape(set: MnistSet, shape: ImageShape): void {
  if (elementCount(shape) !== set.rows * set.cols) {
    throw new Error(`image shape [${shape.join(', ')}] does not hold a ${set.rows}×${set.cols} image (${set.rows * set.cols} pixels)`);
  }
}

/** Images `indices` of `set` as one float32 tensor [indices.length, ...shape], pixels / 255. */
export function imageTensor(set: MnistSet, indices: ArrayLike<number>, shape: ImageShape): ImageTensor {
  checkShape(set, shape);
  const pixels = set.rows * set.cols;
  const data = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]! * pixels;
    for (let p = 0; p < pixels; p++) data[i * pixels + p] = set.images[from + p]! / 255;
  }
  return { data, dims: [indices.length, ...shape] };
}

export function labelTensor(set: MnistSet, indices: ArrayLike<number>): LabelTensor {
  return { data: Int32Array.from({ length: indices.length }, (_, i) => set.labels[indices[i]!]!), dims: [indices.length] };
}

const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);

/** A permutation of 0..n-1 (Fisher–Yates with the graph-builder's seeded generator). */
export function permutation(n: number, seed: number): Int32Array {
  const order = range(0, n);
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export interface BatchOptions {
  readonly batchSize: number;
  readonly shape: ImageShape;
  /** Reshuffle every epoch from this seed (epoch e uses seed + e); no shuffling when undefined. */
  readonly seed?: number;
  /** Use only the first `limit` examples of the set. */
  readonly limit?: number;
}

/**
 * The batches of `set`, re-iterable: each `for … of` is one epoch, shuffled anew when a seed is
 * given. The last batch holds the remainder.
 */
export function mnistBatches(set: MnistSet, options: BatchOptions): Iterable<MnistBatch> & { readonly length: number } {
  const { batchSize, shape, seed } = options;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const count = options.limit ?? set.count;
  if (!(Number.isInteger(count) && count > 0 && count <= set.count)) throw new Error(`limit must be an integer in 1..${set.count}, got ${options.limit}`);
  checkShape(set, shape);
  let epoch = 0;
  return {
    length: Math.ceil(count / batchSize),
    *[Symbol.iterator]() {
      const order = seed === undefined ? range(0, count) : permutation(count, seed + epoch++);
      for (let start = 0; start < count; start += batchSize) {
        const indices = order.subarray(start, Math.min(count, start + batchSize));
        yield [{ image: imageTensor(set, indices, shape) }, labelTensor(set, indices)] as const;
      }
    },
  };
}
