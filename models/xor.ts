import { input, seededRandom, type SymbolicTensor } from '@onnxpipe/graph-builder';
import type { Batch } from '@onnxpipe/trainer';

/**
 * The XOR network of Axon's guide: x1, x2 [batch, 1] → concatenate → dense(8, tanh) →
 * dense(1, sigmoid); output 'dense_1'. The scripts, pages, benchmarks and the tests outside
 * graph-builder build it here (graph-builder's own tests, typed against its sources, in its
 * testing/fixtures.ts).
 */
export function xorModel(): SymbolicTensor {
  return input('x1', { shape: [null, 1] })
    .concatenate(input('x2', { shape: [null, 1] }))
    .dense(8, { activation: 'tanh' })
    .dense(1, { activation: 'sigmoid' });
}

/** XOR rows as columns: x1, x2 ∈ {0, 1}, y = x1 xor x2. */
export interface XorColumns {
  readonly x1: Float32Array;
  readonly x2: Float32Array;
  readonly y: Float32Array;
}

/** `size` rows, x1 then x2 of each row drawn from `random` (uniform in [0, 1)). */
export function xorColumns(size: number, random: () => number): XorColumns {
  const [x1, x2, y] = [new Float32Array(size), new Float32Array(size), new Float32Array(size)];
  for (let i = 0; i < size; i++) {
    x1[i] = random() < 0.5 ? 0 : 1;
    x2[i] = random() < 0.5 ? 0 : 1;
    y[i] = x1[i] !== x2[i] ? 1 : 0;
  }
  return { x1, x2, y };
}

/** One `[inputs, target]` batch of `size` rows drawn from `random`, each tensor `{ data, dims: [size, 1] }`. */
export function xorBatch(size: number, random: () => number): Batch<{ data: Float32Array; dims: number[] }> {
  const { x1, x2, y } = xorColumns(size, random);
  const dims = [size, 1];
  return [{ x1: { data: x1, dims }, x2: { data: x2, dims } }, { data: y, dims }];
}

/** Endless random XOR batches, as in the Axon guide, from `seededRandom(seed)`: the same seed gives the same batches. */
export function* xorBatches(batchSize: number, seed = 0): Generator<Batch<{ data: Float32Array; dims: number[] }>> {
  const random = seededRandom(seed);
  for (;;) yield xorBatch(batchSize, random);
}
