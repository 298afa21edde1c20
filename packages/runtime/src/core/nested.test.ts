import { describe, expect, it } from 'vitest';
import { flattenNested, nest } from './nested.js';

describe('flattenNested', () => {
  it.each([
    [0, [], [0]],
    [[1, 2, 3], [3], [1, 2, 3]],
    [[[0], [1]], [2, 1], [0, 1]],
    [[[0, 1], [1, 0]], [2, 2], [0, 1, 1, 0]],
    [[[[1, 2]], [[3, 4]]], [2, 1, 2], [1, 2, 3, 4]],
    [[], [0], []],
    [[[Number.NaN]], [1, 1], [Number.NaN]],
  ])('flattens %j to dims %j', (value, dims, values) => {
    expect(flattenNested('x', value)).toEqual({ dims, values });
  });

  it.each([
    [[[0], [1, 2]], /input 'x1' is ragged: row 1 has 2 values, row 0 has 1$/],
    [[[0, 1], 2], /input 'x1' is ragged: row 1 is a number, row 0 has 2$/],
    [[1, [2]], /input 'x1' is ragged: row 1 has 1 value, row 0 is a number$/],
    [[[[1, 2]], [[3]]], /input 'x1' is ragged: row \[1, 0\] has 1 value, row \[0, 0\] has 2$/],
  ])('rejects ragged %j', (value, message) => {
    expect(() => flattenNested('x1', value)).toThrow(message);
  });

  it.each([
    [[[0, '1']], /input 'x1': value at \[0, 1\] is a string \("1"\), expected a number/],
    [[[null]], /input 'x1': value at \[0, 0\] is null, expected a number/],
    [[undefined], /input 'x1': value at \[0\] is undefined, expected a number/],
    [[true], /input 'x1': value at \[0\] is a boolean \(true\), expected a number/],
    [[{}], /input 'x1': value at \[0\] is a non-array object, expected a number/],
    ['3', /input 'x1': value is a string \("3"\), expected a number/],
  ])('rejects non-numbers in %j', (value, message) => {
    expect(() => flattenNested('x1', value)).toThrow(message);
  });
});

describe('nest', () => {
  it('inverts flattening', () => {
    const value = [[[1, 2, 3]], [[4, 5, 6]]];
    const { dims, values } = flattenNested('x', value);
    expect(nest(values, dims)).toEqual(value);
    expect(nest([7], [])).toBe(7);
    expect(nest([], [0, 3])).toEqual([]);
  });
});
