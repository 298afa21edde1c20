import { describe, expect, it } from 'vitest';
import { formatShape, numericShape } from './shape.js';

describe('shape helpers', () => {
  it('formats shapes, symbolic dimensions by name', () => {
    expect(formatShape(['batch', 1])).toBe('[batch, 1]');
    expect(formatShape([])).toBe('[]');
    expect(formatShape(null)).toBe('?');
  });

  it('turns symbolic dimensions into -1', () => {
    expect(numericShape(['batch', 3, '?'])).toEqual([-1, 3, -1]);
    expect(numericShape(null)).toEqual([-1]);
  });
});
