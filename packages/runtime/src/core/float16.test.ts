import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';

// Hand-checked against the binary16 layout: sign | 5 exponent bits (bias 15) | 10 fraction bits.
describe('toFloat16Bits', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [1 / 3, 0x3555],
    [65504, 0x7bff],
    [65519.99, 0x7bff],
    [65520, 0x7c00],
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [Number.NaN, 0x7e00],
    [2 ** -14, 0x0400],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000],
    [3 * 2 ** -25, 0x0002],
    [1023.5 * 2 ** -24, 0x0400],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [1 + 2 ** -11 + 2 ** -40, 0x3c01],
    [2048 + 1, 0x6800],
    [2048 + 3, 0x6802],
    [1e-300, 0x0000],
    [-1e-300, 0x8000],
  ])('%d -> 0x%s', (value, bits) => {
    expect(toFloat16Bits(value).toString(16)).toBe(bits.toString(16));
  });

  it('rounds once from the double, not through float32', () => {
    const value = 1 + 2 ** -11 + 2 ** -40;
    expect(Math.fround(value)).toBe(1 + 2 ** -11);
    expect(toFloat16Bits(Math.fround(value))).toBe(0x3c00);
    expect(toFloat16Bits(value)).toBe(0x3c01);
  });
});

describe('fromFloat16Bits', () => {
  it.each([
    [0x0000, 0],
    [0x8000, -0],
    [0x3c00, 1],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('0x%s -> %d', (bits, value) => {
    expect(Object.is(fromFloat16Bits(bits), value)).toBe(true);
  });

  it('reads every exponent-31 pattern with a fraction as NaN, and inverts toFloat16Bits on all other patterns', () => {
    const wrong: string[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromFloat16Bits(bits);
      const nan = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      if (nan ? !Number.isNaN(value) : toFloat16Bits(value) !== bits) wrong.push(`0x${bits.toString(16)} -> ${value}`);
    }
    expect(wrong).toEqual([]);
  });
});
