import type { Tensor } from 'onnxruntime-common';
import type { NumericArray, OrtBackend, PreparedTensor } from '@onnxpipe/runtime';
import type { PreparedBatch } from './batches.js';

interface Stack {
  readonly dtype: PreparedTensor['dtype'];
  /** The dims of one step's tensor. */
  readonly dims: readonly number[];
  /** Elements of one step. */
  readonly per: number;
  readonly data: NumericArray;
}

/**
 * The batches of one run, copied into the stacked feeds as each arrives. A source may refill
 * the same buffers for its next batch (a data loader's usual economy): nothing of a batch is
 * read after the loop asked for the next one. The stacks are kept from run to run while the
 * batches keep their shapes.
 */
export class StepChunk {
  private stacks = new Map<string, Stack>();
  private count = 0;
  /** Rows of this chunk's batches. */
  size = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  push(batch: PreparedBatch): void {
    if (this.count === this.capacity) throw new Error(`StepChunk: already holds ${this.capacity} batches`);
    if (this.count === 0) {
      this.size = batch.size;
      this.fit(batch);
    }
    for (const [name, s] of this.stacks) s.data.set(batch.tensors[name]!.data as never, this.count * s.per);
    this.count++;
  }

  /** Make the stacks fit batches like `batch`, reusing them when they do. */
  private fit(batch: PreparedBatch): void {
    const names = Object.keys(batch.tensors);
    const fits =
      names.length === this.stacks.size &&
      names.every((n) => {
        const s = this.stacks.get(n);
        const t = batch.tensors[n]!;
        return s !== undefined && s.dtype === t.dtype && s.dims.length === t.dims.length && s.dims.every((d, i) => d === t.dims[i]);
      });
    if (fits) return;
    this.stacks = new Map(
      names.map((n) => {
        const t = batch.tensors[n]!;
        const Ctor = t.data.constructor as new (length: number) => NumericArray;
        return [n, { dtype: t.dtype, dims: [...t.dims], per: t.data.length, data: new Ctor(t.data.length * this.capacity) }];
      }),
    );
  }

  /** The data of input `name` at step `k` of the chunk (a view). */
  stepData(name: string, k: number): NumericArray {
    const s = this.stacks.get(name)!;
    return s.data.subarray(k * s.per, (k + 1) * s.per) as NumericArray;
  }

  /** Feeds of the held batches: stacked along a new leading axis when `fused`, else the one batch. */
  feeds(backend: OrtBackend, fused: boolean): Record<string, Tensor> {
    const feeds: Record<string, Tensor> = {};
    for (const [name, s] of this.stacks) {
      // a chunk cut short (the end of an epoch) gets a copy of its exact length
      const data = this.count === this.capacity ? s.data : s.data.slice(0, this.count * s.per);
      feeds[name] = new backend.Tensor(s.dtype as 'float32', data as Float32Array, fused ? [this.count, ...s.dims] : s.dims);
    }
    return feeds;
  }

  clear(): void {
    this.count = 0;
  }
}
