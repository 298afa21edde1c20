import { describe, expect, it } from 'vitest';
import type { Model, OutputTensor, TensorData, TensorInfo } from '@onnxpipe/runtime';
import { batchDimension, createBatcher } from './batcher.js';

/** A model that doubles `x` row by row, and refuses any batch holding the value 99. */
function doubler(shape: TensorInfo['shape'] = ['batch', 2], outShape: TensorInfo['shape'] = shape) {
  const calls: number[] = [];
  const model = {
    inputs: [{ name: 'x', dtype: 'float32', shape }],
    outputs: [{ name: 'y', dtype: 'float32', shape: outShape }],
    predict: async (inputs: Record<string, TensorData>): Promise<Record<string, OutputTensor>> => {
      const { data, dims } = inputs.x!;
      calls.push(dims[0]!);
      if (Array.from(data as Float32Array).includes(99)) throw new Error('99 is not allowed');
      const out = Float32Array.from(data as Float32Array, (v) => v * 2);
      return { y: { name: 'y', dtype: 'float32', dims: [...dims], data: out, toArray: () => Array.from(out) } };
    },
  } as unknown as Model;
  return { model, calls };
}

const rows = (...values: number[][]) => ({ x: { data: Float32Array.from(values.flat()), dims: [values.length, values[0]!.length] } });

describe('createBatcher', () => {
  it('runs requests of one turn as one batch and gives each its own rows', async () => {
    const { model, calls } = doubler();
    const predict = createBatcher(model, 1000);
    const [a, b, c] = await Promise.all([predict(rows([1, 2])), predict(rows([3, 4], [5, 6])), predict(rows([7, 8]))]);
    expect(calls).toEqual([4]);
    expect(Array.from(a!.y!.data as Float32Array)).toEqual([2, 4]);
    expect(b!.y!.dims).toEqual([2, 2]);
    expect(b!.y!.toArray()).toEqual([[6, 8], [10, 12]]);
    expect(c!.y!.toArray()).toEqual([[14, 16]]);
  });

  it('batches only requests whose examples have the same shape', async () => {
    const { model, calls } = doubler(['batch', '?']);
    const predict = createBatcher(model, 1000);
    await Promise.all([predict(rows([1, 2])), predict(rows([1, 2, 3])), predict(rows([3, 4]))]);
    expect(calls.sort()).toEqual([1, 2]);
  });

  it('runs the requests of a failed batch one by one', async () => {
    const { model, calls } = doubler();
    const predict = createBatcher(model, 1000);
    const results = await Promise.allSettled([predict(rows([1, 2])), predict(rows([99, 0])), predict(rows([3, 4]))]);
    expect(calls).toEqual([3, 1, 1, 1]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('99 is not allowed'));
  });

  it('keeps a batch within the element limit', async () => {
    const { model, calls } = doubler();
    const predict = createBatcher(model, 4);
    await Promise.all([predict(rows([1, 2])), predict(rows([3, 4])), predict(rows([5, 6]))]);
    expect(calls).toEqual([2, 1]);
  });

  it('runs requests alone when the model has no shared batch dimension', async () => {
    const { model, calls } = doubler([3, 2]);
    expect(batchDimension(model)).toBeUndefined();
    const predict = createBatcher(model, 1000);
    await Promise.all([predict(rows([1, 2])), predict(rows([3, 4]))]);
    expect(calls).toEqual([1, 1]);
  });

  it('runs a request alone when its inputs disagree on the row count', async () => {
    const { model, calls } = doubler();
    const predict = createBatcher(model, 1000);
    await Promise.all([predict({ x: { data: new Float32Array(0), dims: [] } }), predict(rows([1, 2]))]);
    expect(calls).toEqual([undefined, 1]);
  });

  it('knows a batch dimension', () => {
    expect(batchDimension(doubler().model)).toBe('batch');
    expect(batchDimension(doubler(['batch', 2], ['n', 2]).model)).toBeUndefined();
    expect(batchDimension(doubler(['?', 2]).model)).toBeUndefined();
  });
});
