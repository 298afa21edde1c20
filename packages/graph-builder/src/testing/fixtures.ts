/**
 * The XOR fixtures of graph-builder's tests: the guide's network and seeded batches. Tests outside
 * this package take the same network and batches from models/xor.ts, which is typed against the
 * built package; the hand-written float64 reference all of them are checked against is in
 * xor-reference.ts.
 */
import { input, seededRandom, type SymbolicTensor } from '../index.js';

/** x1, x2 [batch, 1] → concatenate → dense(8, tanh) → dense(1, sigmoid); output 'dense_1'. */
export function xorModel(dtype: 'float32' | 'float64' = 'float32'): SymbolicTensor {
  const [x1, x2] = [input('x1', { shape: [null, 1], dtype }), input('x2', { shape: [null, 1], dtype })];
  return x1.concatenate(x2).dense(8, { activation: 'tanh' }).dense(1, { activation: 'sigmoid' });
}

/** XOR rows as columns: x1, x2 ∈ {0, 1}, y = x1 xor x2. */
export interface XorColumns {
  readonly x1: Float32Array;
  readonly x2: Float32Array;
  readonly y: Float32Array;
}

/** `size` rows drawn from `seededRandom(seed)`: the same seed gives the same rows. */
export function xorBatch(size: number, seed: number): XorColumns {
  const random = seededRandom(seed);
  const x1 = Float32Array.from({ length: size }, () => (random() < 0.5 ? 0 : 1));
  const x2 = Float32Array.from({ length: size }, () => (random() < 0.5 ? 0 : 1));
  return { x1, x2, y: x1.map((a, i) => (a !== x2[i] ? 1 : 0)) };
}
