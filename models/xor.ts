import type { Batch } from '@onnxpipe/trainer';

/**
 * Endless random XOR batches, as in the Axon guide: x1, x2 in {0, 1}, y = x1 xor x2.
 * A small seeded generator keeps runs reproducible.
 */
export function* xorBatches(batchSize: number, seed = 0): Generator<Batch<{ data: Float32Array; dims: number[] }>> {
  let s = seed >>> 0 || 1;
  const bit = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) & 1;
  };
  for (;;) {
    const x1 = new Float32Array(batchSize);
    const x2 = new Float32Array(batchSize);
    const y = new Float32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      x1[i] = bit();
      x2[i] = bit();
      y[i] = x1[i]! !== x2[i]! ? 1 : 0;
    }
    const dims = [batchSize, 1];
    yield [{ x1: { data: x1, dims }, x2: { data: x2, dims } }, { data: y, dims }];
  }
}
