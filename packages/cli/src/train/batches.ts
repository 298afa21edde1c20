import { nest, type NestedNumbers } from '@onnxpipe/runtime';
import { seededRandom } from '@onnxpipe/graph-builder';
import type { Example, InputLayout } from './examples.js';

export type TrainBatch = readonly [Record<string, NestedNumbers>, NestedNumbers];


/**
 * Re-iterable batches of `batchSize` examples (the last one may be smaller). Each iteration (one epoch)
 * shuffles anew; the sequence of orders depends only on `seed`.
 */
export function shuffledBatches(examples: readonly Example[], layout: readonly InputLayout[], batchSize: number, seed: number): Iterable<TrainBatch> {
  const next = seededRandom(seed);
  return {
    *[Symbol.iterator]() {
      const order = examples.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let start = 0; start < order.length; start += batchSize) {
        const rows = order.slice(start, start + batchSize).map((i) => examples[i]!);
        const inputs = Object.fromEntries(
          layout.map((input) => [input.name, rows.map((r) => nest(r.inputs[input.name]!, input.shape))]),
        );
        yield [inputs, rows.map((r) => r.target)] as const;
      }
    },
  };
}
