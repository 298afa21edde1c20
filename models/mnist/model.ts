/**
 * The MNIST models: `image` [batch, 28, 28, 1] (pixels in [0, 1]) in, `probabilities` (10
 * classes, softmax) out. Platform-free, shared by `pnpm mnist`, the MNIST page and the benchmark.
 */
import { input, type SymbolicTensor } from '@onnxpipe/graph-builder';

export const INPUT = 'image';
export const OUTPUT = 'probabilities';
export const CLASSES = 10;
/** One image as the models take it: height, width, channels (channels last). */
export const IMAGE_SHAPE = [28, 28, 1] as const;

const image = () => input(INPUT, { shape: [null, ...IMAGE_SHAPE] });

/**
 * conv 5×5×32 → 2×2 max pool → conv 5×5×64 → 2×2 max pool → flatten → dense 128 relu → dropout →
 * dense 10 softmax ('same' padding, relu after each convolution).
 */
export function mnistCnn(dropout = 0.5): SymbolicTensor {
  return image()
    .conv(32, { kernelSize: 5, padding: 'same', activation: 'relu' })
    .maxPool({ kernelSize: 2 })
    .conv(64, { kernelSize: 5, padding: 'same', activation: 'relu' })
    .maxPool({ kernelSize: 2 })
    .flatten()
    .dense(128, { activation: 'relu' })
    .dropout(dropout)
    .dense(CLASSES, { activation: 'softmax', name: OUTPUT });
}

/** A dense network on the flattened image: 784 → dense(hidden, relu) → dense(10, softmax). */
export function mnistMlp(hidden: number): SymbolicTensor {
  return image()
    .flatten()
    .dense(hidden, { activation: 'relu' })
    .dense(CLASSES, { activation: 'softmax', name: OUTPUT });
}

export interface MnistModelSpec {
  readonly title: string;
  readonly build: () => SymbolicTensor;
}

export const mnistModels = {
  cnn: { title: 'CNN conv 5×5×32 → pool → conv 5×5×64 → pool → 128 relu → dropout 0.5 → 10 softmax', build: () => mnistCnn() },
  mlp: { title: 'MLP 784 → 128 relu → 10 softmax', build: () => mnistMlp(128) },
  mlp500: { title: 'MLP 784 → 500 relu → 10 softmax', build: () => mnistMlp(500) },
} as const satisfies Record<string, MnistModelSpec>;

export type MnistModelName = keyof typeof mnistModels;

export const isMnistModelName = (name: unknown): name is MnistModelName => typeof name === 'string' && Object.hasOwn(mnistModels, name);
