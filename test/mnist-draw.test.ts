/**
 * The MNIST page's normalisation of a drawing (web/mnist-draw.ts) against MNIST's own recipe:
 * the longer side of the ink's box becomes 20 pixels, the centre of mass lands at the centre of
 * the 28×28 field (pixel 14, 14), and a test digit drawn 10× larger comes back close to itself.
 */
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../models/mnist/files.js';
import { mnistImage, SIDE } from '../web/mnist-draw.js';

/** Bounding box [left, top, right, bottom] of the values ≥ 0.5 of a 28×28 image, and its centre of mass. */
function measure(image: Float32Array) {
  let [left, top, right, bottom, mass, mx, my] = [SIDE, SIDE, -1, -1, 0, 0, 0];
  image.forEach((v, i) => {
    const [x, y] = [i % SIDE, Math.floor(i / SIDE)];
    mass += v;
    mx += v * x;
    my += v * y;
    if (v < 0.5) return;
    [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
  });
  return { box: [left, top, right, bottom], com: [mx / mass, my / mass] };
}

describe('mnistImage', () => {
  it('returns nothing for an empty drawing', () => {
    expect(mnistImage(new Float32Array(280 * 280), 280, 280)).toBeUndefined();
    expect(mnistImage(new Float32Array(280 * 280).fill(0.05), 280, 280)).toBeUndefined();
  });

  it('scales a 100×200 bar to 10×20 and centres it', () => {
    const ink = new Float32Array(280 * 300);
    for (let y = 30; y < 230; y++) for (let x = 150; x < 250; x++) ink[y * 280 + x] = 1;
    const image = mnistImage(ink, 280, 300)!;
    expect(image.length).toBe(784);
    const { box, com } = measure(image);
    expect([box[2]! - box[0]! + 1, box[3]! - box[1]! + 1]).toEqual([10, 20]);
    // a solid box: every pixel inside is 1, none outside
    expect(image.reduce((a, b) => a + b, 0)).toBeCloseTo(200, 5);
    for (const c of com) expect(Math.abs(c - 14)).toBeLessThanOrEqual(0.5);
  });

  it('averages over areas: a 3-pixel-wide bar scaled by 20/30 covers 2 pixels', () => {
    const ink = new Float32Array(40 * 40);
    for (let y = 5; y < 35; y++) for (let x = 10; x < 13; x++) ink[y * 40 + x] = 1;
    const image = mnistImage(ink, 40, 40)!;
    // 3 columns → round(3 × 2/3) = 2 columns, each exactly covered by ink
    expect(image.reduce((a, b) => a + b, 0)).toBeCloseTo(40, 5);
    expect(measure(image).box[2]! - measure(image).box[0]! + 1).toBe(2);
  });

  it('keeps a long diagonal stroke inside the field', () => {
    const ink = new Float32Array(280 * 280);
    for (let i = 0; i < 280; i++) ink[i * 280 + i] = 1;
    const image = mnistImage(ink, 280, 280)!;
    expect(image.some((v) => v > 0)).toBe(true);
    expect(image.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('gives back a test digit drawn 10× larger, nearly as it was', async () => {
    const test = await loadMnist('t10k');
    const diffs: number[] = [];
    for (let n = 0; n < 50; n++) {
      const digit = test.images.subarray(n * 784, (n + 1) * 784);
      const big = new Float32Array(280 * 280);
      for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) big[y * 280 + x] = digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)]! / 255;
      const image = mnistImage(big, 280, 280)!;
      let diff = 0;
      image.forEach((v, i) => (diff += Math.abs(v - digit[i]! / 255)));
      diffs.push(diff / 784);
    }
    diffs.sort((a, b) => a - b);
    console.log(`mean absolute pixel difference after the round trip: median ${diffs[25]!.toFixed(4)}, worst ${diffs[49]!.toFixed(4)}`);
    expect(diffs[25]).toBeLessThan(0.005);
    expect(diffs[49]).toBeLessThan(0.02);
  });

  it('rejects a drawing of the wrong size', () => {
    expect(() => mnistImage(new Float32Array(10), 4, 4)).toThrow(/^mnistImage: 10 values for a 4×4 drawing$/);
  });
});
