/**
 * The MNIST models: `image` in, `probabilities` (10 classes, softmax) out. Platform-free, shared
 * by `pnpm mnist`, the MNIST page and the benchmark.
 */
import { input, type SymbolicTensor } from '@onnxpipe/graph-builder';

export const INPUT = 'image';
export const OUTPUT = 'probabilities';
export const CLASSES = 10;

/** A dense network on the flat image: 784 → dense(hidden, relu) → dense(10, softmax). */
export function mnistMlp(hidden: number): SymbolicTensor {
  return input(INPUT, { shape: [null, 784] })
    .dense(hidden, { activation: 'relu' })
    .dense(CLASSES, { activation: 'softmax', name: OUTPUT });
}

export interface MnistModelSpec {
  readonly title: string;
  /** One image as the model's input takes it (without the batch dimension). */
  readonly imageShape: readonly number[];
  readonly build: () => SymbolicTensor;
}

export const mnistModels = {
  mlp: { title: 'MLP 784 → 128 relu → 10 softmax', imageShape: [784], build: () => mnistMlp(128) },
  mlp500: { title: 'MLP 784 → 500 relu → 10 softmax', imageShape: [784], build: () => mnistMlp(500) },
} as const satisfies Record<string, MnistModelSpec>;

export type MnistModelName = keyof typeof mnistModels;

export const isMnistModelName = (name: unknown): name is MnistModelName => typeof name === 'string' && Object.hasOwn(mnistModels, name);
