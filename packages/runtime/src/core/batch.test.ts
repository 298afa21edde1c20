import { describe, expect, it } from 'vitest';
import { splitRows, stackRows } from './batch.js';
import type { OutputTensor, TensorInfo } from './types.js';

const infos: TensorInfo[] = [
  { name: 'a', dtype: 'float32', shape: ['N', 2] },
  { name: 'w', dtype: 'float32', shape: ['N', 1] },
  { name: 'v', dtype: 'float32', shape: ['N'] },
];

const output = (name: string, dims: number[], values: number[]): OutputTensor => ({
  name,
  dtype: 'float32',
  dims,
  data: Float32Array.from(values),
  toArray: () => (dims.length === 0 ? (values[0] as number) : dims.length === 1 ? values : values.map((v) => [v])),
});

describe('stackRows', () => {
  it('stacks rows per input, wrapping a number for a rank-2 input', () => {
    expect(
      stackRows(infos, [
        { a: [1, 2], w: 3, v: 4 },
        { a: [5, 6], w: [7], v: 8 },
      ]),
    ).toEqual({ a: [[1, 2], [5, 6]], w: [[3], [7]], v: [4, 8] });
  });

  it.each([
    [[], /predictBatch needs a non-empty array of rows/],
    [[{ a: [1, 2], w: 3, v: 4 }, { a: [1, 2], v: 4 }], /row 1: missing input 'w'; the model expects inputs: a, w, v/],
    [[{ a: [1, 2], w: 3, v: 4, z: 1 }], /row 0: unknown input 'z'; the model expects inputs: a, w, v/],
    [[null], /row 0 must be a record of input name to value/],
  ])('rejects %j', (rows, message) => {
    expect(() => stackRows(infos, rows as never)).toThrow(message);
  });

  it('rejects an input without a batch dimension', () => {
    expect(() => stackRows([{ name: 's', dtype: 'float32', shape: [] }], [{ s: 1 }])).toThrow(
      /input 's' has shape \[\] and no batch dimension; use predict\(\)/,
    );
  });
});

describe('splitRows', () => {
  it('gives each row its slice of every output', () => {
    expect(splitRows([output('y', [2, 1], [1, 2]), output('p', [2], [3, 4])], 2)).toEqual([
      { y: [1], p: 3 },
      { y: [2], p: 4 },
    ]);
  });

  it('rejects outputs that do not split into the rows', () => {
    expect(() => splitRows([output('loss', [], [1])], 2)).toThrow(/output 'loss' has shape \[\], which does not split into 2 rows/);
    expect(() => splitRows([output('y', [3], [1, 2, 3])], 2)).toThrow(/output 'y' has shape \[3\]/);
  });
});
