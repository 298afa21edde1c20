import { describe, expect, it } from 'vitest';
import { parsePbtxt } from './pbtxt.js';

describe('parsePbtxt', () => {
  it('reads scalars, messages and lists', () => {
    expect(parsePbtxt('name: "a b"\nsize: -3\nkind: TYPE_FP32\nlist [ { x: 1 }, { x: 2 } ]\nempty { }\ndims: [ 1, -1 ]')).toEqual({
      name: 'a b',
      size: -3,
      kind: 'TYPE_FP32',
      list: [{ x: 1 }, { x: 2 }],
      empty: {},
      dims: [1, -1],
    });
  });

  it('throws on unbalanced text', () => {
    expect(() => parsePbtxt('a { b: 1')).toThrow(/pbtxt: expected a token at token \d+, got the end/);
  });
});
