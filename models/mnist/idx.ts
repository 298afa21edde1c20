/**
 * The IDX format of LeCun's MNIST files (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * number 0x0000TTNN (TT the element type, NN the number of dimensions), NN big-endian uint32
 * sizes, then the elements in row-major order, big-endian. Platform-free (Node and browser).
 */
import { elementCount } from '@onnxpipe/graph-builder';

/** Element types by the magic number's third byte. */
const elementTypes = {
  0x08: { name: 'unsigned byte', bytes: 1 },
  0x09: { name: 'signed byte', bytes: 1 },
  0x0b: { name: 'short', bytes: 2 },
  0x0c: { name: 'int', bytes: 4 },
  0x0d: { name: 'float', bytes: 4 },
  0x0e: { name: 'double', bytes: 8 },
} as const;

type TypeCode = keyof typeof elementTypes;

export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxTensor {
  readonly dims: readonly number[];
  /**
   * The elements. Byte types are views on the input's buffer (no copy); wider types are decoded
   * from big-endian into a new array.
   */
  readonly data: IdxArray;
}

const hex = (n: number, width: number) => `0x${n.toString(16).padStart(width, '0').toUpperCase()}`;

/** Parses one IDX file; `label` names it in errors. */
export function parseIdx(bytes: Uint8Array, label = 'IDX data'): IdxTensor {
  if (bytes.byteLength < 4) throw new Error(`${label}: ${bytes.byteLength} bytes is too short for an IDX file (a 4-byte magic number, then the sizes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const code = bytes[2]!;
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !Object.hasOwn(elementTypes, code) || rank === 0) {
    throw new Error(
      `${label}: not an IDX file: magic number ${hex(magic, 8)}; expected 0x0000TTNN with TT the element type (08, 09, 0B, 0C, 0D or 0E) and NN > 0 the number of dimensions`,
    );
  }
  const type = elementTypes[code as TypeCode];
  const header = 4 + 4 * rank;
  if (bytes.byteLength < header) throw new Error(`${label}: the header declares ${rank} dimensions (${header} bytes) but the file has ${bytes.byteLength} bytes`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = elementCount(dims);
  const expected = header + count * type.bytes;
  if (bytes.byteLength !== expected) {
    throw new Error(`${label}: the header says ${dims.join('×')} ${type.name}s (${expected} bytes with the header), but the file has ${bytes.byteLength} bytes`);
  }
  const offset = bytes.byteOffset + header;
  switch (code as TypeCode) {
    case 0x08:
      return { dims, data: new Uint8Array(bytes.buffer, offset, count) };
    case 0x09:
      return { dims, data: new Int8Array(bytes.buffer, offset, count) };
    case 0x0b:
      return { dims, data: Int16Array.from({ length: count }, (_, i) => view.getInt16(header + 2 * i)) };
    case 0x0c:
      return { dims, data: Int32Array.from({ length: count }, (_, i) => view.getInt32(header + 4 * i)) };
    case 0x0d:
      return { dims, data: Float32Array.from({ length: count }, (_, i) => view.getFloat32(header + 4 * i)) };
    case 0x0e:
      return { dims, data: Float64Array.from({ length: count }, (_, i) => view.getFloat64(header + 8 * i)) };
  }
}

/** Images and their labels: `images` is [count, rows, cols] bytes (0 = background, 255 = ink). */
export interface MnistSet {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

/** An MNIST-style pair of IDX files (images: ubyte [n, rows, cols]; labels: ubyte [n], 0-9). */
export function mnistSet(imageBytes: Uint8Array, labelBytes: Uint8Array, label = 'MNIST'): MnistSet {
  const images = parseIdx(imageBytes, `${label} images`);
  const labels = parseIdx(labelBytes, `${label} labels`);
  if (!(images.data instanceof Uint8Array) || images.dims.length !== 3) {
    throw new Error(`${label} images: expected unsigned bytes of rank 3 [count, rows, cols], got ${images.data.constructor.name} of dims [${images.dims.join(', ')}]`);
  }
  if (!(labels.data instanceof Uint8Array) || labels.dims.length !== 1) {
    throw new Error(`${label} labels: expected unsigned bytes of rank 1 [count], got ${labels.data.constructor.name} of dims [${labels.dims.join(', ')}]`);
  }
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) throw new Error(`${label}: ${count} images but ${labels.dims[0]} labels`);
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new Error(`${label} labels: label ${bad} is ${labels.data[bad]}; expected a digit 0-9`);
  return { count, rows, cols, images: images.data, labels: labels.data };
}

/** The first `count` examples of `set`, written back as a pair of IDX files (the browser page's training subset). */
export function idxSubset(set: MnistSet, count: number): { images: Uint8Array; labels: Uint8Array } {
  if (!(Number.isInteger(count) && count > 0 && count <= set.count)) throw new Error(`idxSubset: count must be an integer in 1..${set.count}, got ${count}`);
  const pixels = set.rows * set.cols;
  const images = new Uint8Array(16 + count * pixels);
  const iv = new DataView(images.buffer);
  [0x0803, count, set.rows, set.cols].forEach((v, i) => iv.setUint32(4 * i, v));
  images.set(set.images.subarray(0, count * pixels), 16);
  const labels = new Uint8Array(8 + count);
  const lv = new DataView(labels.buffer);
  lv.setUint32(0, 0x0801);
  lv.setUint32(4, count);
  labels.set(set.labels.subarray(0, count), 8);
  return { images, labels };
}
