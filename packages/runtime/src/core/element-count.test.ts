import { describe, expect, it } from 'vitest';
import { elementCount } from './element-count.js';

describe('elementCount', () => {
  it('is the product of the dims: 1 for a scalar, 0 with an empty dimension', () => {
    expect([[2, 3, 4], [7], [], [5, 0]].map(elementCount)).toEqual([24, 7, 1, 0]);
  });
});
