/**
 * Fine-tuning an imported PyTorch model on MNIST, without Python: the CNN fixture exported by
 * PyTorch (test/fixtures/torch/cnn_bn.opset17.onnx: conv-bn-relu-pool twice, 12x12 inputs,
 * channels first) gets a new head on its flattened features and is trained on MNIST digits
 * shrunk to 12x12. Platform-free apart from the bytes it is given.
 */
import { adam, exportInference, importOnnx, initParams, type ModelState, type SymbolicTensor } from '@onnxpipe/graph-builder';
import type { Trainer } from '@onnxpipe/trainer';
import type { MnistSet } from '../mnist/idx.js';

/** The fixture's flattened features: the value its original head (`fc`, a Gemm) reads. */
export const FEATURES = '/flatten/Flatten_output_0';
export const SIDE = 12;

/** Each 28x28 digit's central 24x24 window averaged over 2x2 blocks: [n, 1, 12, 12], pixels in [0, 1]. */
export function shrink(set: MnistSet, count = set.count): Float32Array {
  const out = new Float32Array(count * SIDE * SIDE);
  const offset = (set.rows - 2 * SIDE) / 2;
  for (let n = 0; n < count; n++) {
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        let sum = 0;
        for (let dr = 0; dr < 2; dr++) for (let dc = 0; dc < 2; dc++) sum += set.images[n * set.rows * set.cols + (offset + 2 * r + dr) * set.cols + offset + 2 * c + dc]!;
        out[(n * SIDE + r) * SIDE + c] = sum / (4 * 255);
      }
    }
  }
  return out;
}

export interface FinetuneOptions {
  readonly fixture: Uint8Array;
  readonly train: MnistSet;
  readonly trainCount: number;
  readonly epochs: number;
  readonly seed?: number;
  /** Makes the trainer (Node or web), with progress as the caller likes. */
  readonly trainer: (model: SymbolicTensor, optimizer: ReturnType<typeof adam>) => Trainer;
}

export interface Finetuned {
  readonly model: SymbolicTensor;
  readonly before: ModelState;
  readonly after: ModelState;
  /** The trained model as a standard .onnx (imported part under its PyTorch names). */
  readonly onnx: Uint8Array;
  readonly history: Readonly<Record<string, readonly number[]>>;
}

export async function finetune(options: FinetuneOptions): Promise<Finetuned> {
  const { model: imported } = importOnnx(options.fixture);
  const model = imported.tensor(FEATURES).dense(10, { activation: 'softmax', name: 'digit_head' });
  const before = initParams(model, { seed: options.seed ?? 0 });
  const n = options.trainCount;
  const images = { data: shrink(options.train, n), dims: [n, 1, SIDE, SIDE] };
  const labels = { data: BigInt64Array.from(options.train.labels.subarray(0, n), (l) => BigInt(l)), dims: [n] };
  const { state: after, history } = await options
    .trainer(model, adam({ learningRate: 2e-3 }))
    .metric('accuracy')
    .fit({ image: images }, labels, { batchSize: 64, epochs: options.epochs, seed: options.seed ?? 0 });
  return { model, before, after, onnx: exportInference(model, after), history };
}

/** The fraction of `set`'s first `count` digits whose most probable class is the label. */
export function accuracy(probabilities: ArrayLike<number>, set: MnistSet, count: number): number {
  let correct = 0;
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (probabilities[i * 10 + k]! > probabilities[i * 10 + best]!) best = k;
    if (best === set.labels[i]) correct++;
  }
  return correct / count;
}
