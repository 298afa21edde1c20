import type { Dtype, TensorData } from '@onnxpipe/runtime';
import { formatShape } from '../shape.js';
import { HttpError } from './http-error.js';
import { elementCount } from '@onnxpipe/graph-builder';

/** How deeply `data` may nest; deeper JSON is refused before it is walked. */
export const MAX_NESTING = 32;

/**
 * Where request numbers are collected before the runtime converts them: a Float32Array for float32, a
 * Float64Array for float64 and float16 (float16 is rounded once, from the number as sent), a plain array
 * for integer types (the runtime range-checks those).
 */
const numberStorage = (dtype: Dtype, count: number): Float32Array | Float64Array | number[] =>
  dtype === 'float32' ? new Float32Array(count) : dtype === 'float64' || dtype === 'float16' ? new Float64Array(count) : new Array<number>(count);

const describe = (value: unknown): string =>
  value === null ? 'null' : typeof value === 'string' ? `a string (${JSON.stringify(value)})` : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/**
 * Flattens OIP tensor `data` (flat or nested, row-major) into one array of `count` values: a typed array for
 * float dtypes, numbers otherwise (the runtime converts and range-checks those). Booleans are taken for `bool`.
 */
export function flattenData(name: string, dtype: Dtype, shape: readonly number[], count: number, data: unknown): Float32Array | Float64Array | number[] {
  const out = numberStorage(dtype, count);
  const bool = dtype === 'bool';
  let n = 0;
  const visit = (value: unknown, depth: number): void => {
    if (typeof value === 'number') {
      if (n < count) out[n] = value;
      n++;
    } else if (Array.isArray(value)) {
      if (depth >= MAX_NESTING) throw new HttpError(400, `input '${name}': data nests deeper than ${MAX_NESTING} levels`);
      for (let i = 0; i < value.length; i++) visit(value[i], depth + 1);
    } else if (bool && typeof value === 'boolean') {
      if (n < count) out[n] = value ? 1 : 0;
      n++;
    } else {
      throw new HttpError(400, `input '${name}': data value ${n} is ${describe(value)}, expected a number`);
    }
  };
  visit(data, 0);
  if (n !== count) {
    throw new HttpError(400, `input '${name}': data has ${n} value${n === 1 ? '' : 's'} but shape ${formatShape(shape)} needs ${count}`);
  }
  return out;
}

/** Counts the numbers in nested arrays, refusing nesting deeper than `MAX_NESTING`; stops early past `limit`. */
export function countElements(name: string, value: unknown, limit: number): number {
  let n = 0;
  const visit = (item: unknown, depth: number): void => {
    if (!Array.isArray(item)) {
      n++;
      return;
    }
    if (depth >= MAX_NESTING) throw new HttpError(400, `input '${name}' nests deeper than ${MAX_NESTING} levels`);
    for (let i = 0; i < item.length && n <= limit; i++) visit(item[i], depth + 1);
  };
  visit(value, 0);
  return n;
}

/**
 * Nested number arrays as flat data and dims (typed arrays for float dtypes), or `undefined` when they are
 * ragged or hold anything but numbers: the runtime then gets the raw value and explains the problem.
 */
export function nestedToTensor(value: unknown, dtype: Dtype): TensorData | undefined {
  const dims: number[] = [];
  for (let probe = value; Array.isArray(probe); probe = probe[0] as unknown) dims.push(probe.length);
  const count = elementCount(dims);
  const out = numberStorage(dtype, count);
  let n = 0;
  const visit = (item: unknown, depth: number): boolean => {
    if (depth === dims.length) {
      if (typeof item !== 'number') return false;
      out[n++] = item;
      return true;
    }
    if (!Array.isArray(item) || item.length !== dims[depth]) return false;
    for (let i = 0; i < item.length; i++) if (!visit(item[i], depth + 1)) return false;
    return true;
  };
  return visit(value, 0) ? { data: out, dims } : undefined;
}
