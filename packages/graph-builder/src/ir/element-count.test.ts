import { describe, expect, expectTypeOf, it } from 'vitest';
import { elementCount } from '../index.js';

describe('elementCount', () => {
  it('is the product of the dims: 1 for a scalar, 0 with an empty dimension', () => {
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([7])).toBe(7);
    expect(elementCount([])).toBe(1);
    expect(elementCount([5, 0])).toBe(0);
  });

  it('is public with the documented signature', () => {
    expectTypeOf(elementCount).toEqualTypeOf<(dims: readonly number[]) => number>();
  });
});
