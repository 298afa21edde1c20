import { describe, expect, it } from 'vitest';
import { hashString, Random, seededRandom } from './random.js';

describe('seeded random numbers', () => {
  it('draws uniform-looking numbers in [0, 1), the same for the same seed', () => {
    const draws = Array.from({ length: 10_000 }, seededRandom(1));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(0.5, 1);
    // each tenth of [0, 1) gets about a tenth of the draws
    const bins = new Array<number>(10).fill(0);
    for (const d of draws) bins[Math.floor(d * 10)]!++;
    for (const count of bins) expect(Math.abs(count - 1000)).toBeLessThan(150);
    expect(Array.from({ length: 5 }, seededRandom(1))).toEqual(draws.slice(0, 5));
    expect(Array.from({ length: 5 }, seededRandom(2))).not.toEqual(draws.slice(0, 5));
  });

  it('normal draws have mean 0 and variance 1', () => {
    const random = new Random(3);
    const draws = Array.from({ length: 20_000 }, () => random.normal());
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('streams differ by stream number, and names hash apart', () => {
    expect(new Random(1, 1).nextUint32()).not.toBe(new Random(1, 2).nextUint32());
    expect(hashString('dense_0.kernel')).not.toBe(hashString('dense_0.bias'));
    expect(hashString('')).toBe(0x811c9dc5);
  });
});
