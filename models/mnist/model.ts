/**
 * The MNIST models: `image` in, `probabilities` (10 classes, softmax) out. Platform-free, shared
 * by `pnpm mnist`, the page and the benchmark.
 */
import { input, type SymbolicTensor } from '@onnxpipe/graph-builder';

export const INPUT = 'image';
export const OUTPUT = 'probabilities';
export const CLASSES = 10;

export type MnistModelName = 'mlp';

/** Per model, the shape of one image as the model's input takes it. */
export const imageShapes: Record<MnistModelName, readonly number[]> = { mlp: [784] };

/** A dense network on the flat image: 784 → dense(hidden, relu) → dense(10, softmax). */
export function mnistMlp(hidden = 128): SymbolicTensor {
  return input(INPUT, { shape: [null, 784] })
    .dense(hidden, { activation: 'relu' })
    .dense(CLASSES, { activation: 'softmax', name: OUTPUT });
}

export const mnistModels: Record<MnistModelName, () => SymbolicTensor> = { mlp: () => mnistMlp() };
