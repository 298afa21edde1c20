import { DTYPES, type Dtype, type NumericArray } from './dtypes.js';
import { RuntimeInputError } from './errors.js';
import { describeValue, flattenNested } from './nested.js';
import type { Dim, TensorInfo } from './types.js';
import { elementCount } from './element-count.js';

export interface PreparedTensor {
  dtype: Dtype;
  data: NumericArray;
  dims: number[];
}

export const formatShape = (shape: readonly Dim[]) => `[${shape.join(', ')}]`;

const expectedNames = (infos: readonly TensorInfo[]) => `the model expects inputs: ${infos.map((i) => i.name).join(', ')}`;

/** True when `keys` (a record's own keys, so each at most once) are exactly `names`. */
export function sameNames(keys: readonly string[], names: readonly string[]): boolean {
  if (keys.length !== names.length) return false;
  for (const name of names) if (!keys.includes(name)) return false;
  return true;
}

/** Throws unless `names` are exactly the model's input names; `prefix` locates the record (e.g. a batch row). */
export function checkInputNames(infos: readonly TensorInfo[], names: readonly string[], prefix = ''): void {
  // the common case, without building sets: every input given once
  if (sameNames(names, infos.map((i) => i.name))) return;
  const known = new Set(infos.map((i) => i.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new RuntimeInputError(`${prefix}unknown input ${unknown.map((n) => `'${n}'`).join(', ')}; ${expectedNames(infos)}`);
  }
  const missing = infos.filter((i) => !names.includes(i.name));
  if (missing.length > 0) {
    const list = missing.map((i) => `'${i.name}'`).join(', ');
    throw new RuntimeInputError(`${prefix}missing input${missing.length > 1 ? 's' : ''} ${list}; ${expectedNames(infos)}`);
  }
}

/** Validates every input against the model's declared inputs and converts it to the declared dtype. */
export function prepareInputs(infos: readonly TensorInfo[], inputs: Record<string, unknown>): Record<string, PreparedTensor> {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new RuntimeInputError(`inputs must be a record of input name to tensor; ${expectedNames(infos)}`);
  }
  checkInputNames(infos, Object.keys(inputs));
  const bound = new Map<string, { size: number; input: string }>();
  const prepared: Record<string, PreparedTensor> = {};
  for (const info of infos) {
    const tensor = toTensor(info, inputs[info.name]);
    checkShape(info, tensor.dims);
    const shape = info.shape ?? [];
    for (let axis = 0; axis < shape.length; axis++) {
      const dim = shape[axis]!;
      if (typeof dim !== 'string' || dim === '?') continue;
      const size = tensor.dims[axis] as number;
      const previous = bound.get(dim);
      if (previous === undefined) bound.set(dim, { size, input: info.name });
      else if (previous.size !== size) {
        const who =
          previous.input === info.name ? `input '${info.name}' disagrees` : `inputs '${previous.input}' and '${info.name}' disagree`;
        throw new RuntimeInputError(`${who} on dimension '${dim}': ${previous.size} vs ${size}`);
      }
    }
    prepared[info.name] = tensor;
  }
  return prepared;
}

function toTensor(info: TensorInfo, value: unknown): PreparedTensor {
  const { name, dtype } = info;
  if (typeof value === 'number' || Array.isArray(value)) {
    const { dims, values } = flattenNested(name, value);
    return { dtype, dims, data: convert(info, values, dims) };
  }
  if (typeof value === 'object' && value !== null && 'dims' in value && 'data' in value) {
    const dims = checkDims(name, value.dims);
    const data = value.data;
    if (!(ArrayBuffer.isView(data) && !(data instanceof DataView)) && !Array.isArray(data)) {
      throw new RuntimeInputError(`input '${name}': data must be a typed array or an array of numbers, got ${describeValue(data)}`);
    }
    const length = (data as ArrayLike<unknown>).length;
    const count = elementCount(dims);
    if (length !== count) {
      throw new RuntimeInputError(`input '${name}': data has ${length} values but dims ${formatShape(dims)} need ${count}`);
    }
    if (DTYPES[dtype].is(data)) return { dtype, dims, data };
    return { dtype, dims, data: convert(info, Array.from(data as ArrayLike<unknown>), null) };
  }
  throw new RuntimeInputError(
    `input '${name}': expected nested number arrays, { data, dims } or an onnxruntime Tensor, got ${describeValue(value)}`,
  );
}

function checkDims(name: string, dims: unknown): number[] {
  if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RuntimeInputError(`input '${name}': dims must be an array of non-negative integers, got ${JSON.stringify(dims)}`);
  }
  return [...(dims as number[])];
}

/** Where the value at flat index `i` is, in a message: its position in nested arrays of `dims`, or its index in flat data (`dims` null). */
function valueAt(i: number, dims: readonly number[] | null): string {
  if (dims === null) return ` at index ${i}`;
  return dims.length === 0 ? '' : ` at [${unravel(i, dims).join(', ')}]`;
}

/** `values` in the storage of the input's dtype, once each is checked to fit it; `dims` as for valueAt. */
function convert(info: TensorInfo, values: readonly unknown[], dims: readonly number[] | null): NumericArray {
  const { range } = DTYPES[info.dtype];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      throw new RuntimeInputError(`input '${info.name}': value${valueAt(i, dims)} is ${describeValue(v)}, expected a number`);
    }
    if (range && !(Number.isInteger(v) && v >= range[0] && v <= range[1])) {
      throw new RuntimeInputError(
        `input '${info.name}': value${valueAt(i, dims)} is ${v}, expected an integer from ${range[0]} to ${range[1]} for dtype ${info.dtype}`,
      );
    }
  }
  return DTYPES[info.dtype].from(values as number[]);
}

function unravel(index: number, dims: readonly number[]): number[] {
  const position: number[] = [];
  for (let axis = dims.length - 1; axis >= 0; axis--) {
    const size = dims[axis] as number;
    position.unshift(index % size);
    index = Math.floor(index / size);
  }
  return position;
}

function checkShape(info: TensorInfo, dims: readonly number[]): void {
  if (info.shape === null) return;
  const mismatch =
    dims.length !== info.shape.length || info.shape.some((dim, axis) => typeof dim === 'number' && dim !== dims[axis]);
  if (!mismatch) return;
  const rank = dims.length === info.shape.length ? '' : ` (rank ${info.shape.length}, got rank ${dims.length})`;
  throw new RuntimeInputError(`input '${info.name}': expected shape ${formatShape(info.shape)}, got ${formatShape(dims)}${rank}`);
}
