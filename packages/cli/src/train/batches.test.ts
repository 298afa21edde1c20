import { describe, expect, it } from 'vitest';
import { shuffledBatches } from './batches.js';
import type { Example, InputLayout } from './examples.js';

const layout: InputLayout[] = [
  { name: 'x', shape: [1], width: 1 },
  { name: 'm', shape: [2, 2], width: 4 },
];
const examples: Example[] = Array.from({ length: 10 }, (_, i) => ({ inputs: { x: [i], m: [i, i, i, i] }, target: [i % 2] }));
const firstValues = (epoch: Iterable<readonly [Record<string, unknown>, unknown]>) =>
  [...epoch].flatMap(([inputs]) => (inputs.x as number[][]).map((row) => row[0]));

describe('shuffledBatches', () => {
  it('yields batches of the batch size, the last one smaller, shaped like the inputs', () => {
    const batches = [...shuffledBatches(examples, layout, 4, 0)];
    expect(batches.map(([inputs]) => (inputs.x as unknown[]).length)).toEqual([4, 4, 2]);
    const [inputs, target] = batches[0]!;
    const x = (inputs.x as number[][])[0]![0]!;
    expect((inputs.m as number[][][])[0]).toEqual([[x, x], [x, x]]);
    expect((target as number[][])[0]).toEqual([x % 2]);
  });

  it('shuffles every epoch anew, the same way for the same seed', () => {
    const a = shuffledBatches(examples, layout, 3, 7);
    const b = shuffledBatches(examples, layout, 3, 7);
    const epochs = [firstValues(a), firstValues(a)];
    expect([firstValues(b), firstValues(b)]).toEqual(epochs);
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect([...epochs[0]!].sort((p, q) => p! - q!)).toEqual(examples.map((_, i) => i));
    expect(firstValues(shuffledBatches(examples, layout, 3, 8))).not.toEqual(epochs[0]);
  });
});
