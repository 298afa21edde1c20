import type { Attrs, DType, Dim, TensorConst } from '../ir/types.js';
import { dtypeFromOnnx } from '../onnx/dtypes.js';
import { elementCount } from '../ir/element-count.js';

/**
 * A value known at import time: constants, and the shape arithmetic PyTorch exports compute
 * from `Shape` (batch size, sequence length, head size). Entries may be symbolic dimensions
 * ('batch'); arithmetic on those is not folded.
 */
export interface Static {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: readonly (number | string)[];
}

/** Larger tensors are not folded: folding exists for shape computations and small masks. */
const MAX_FOLDED = 1 << 16;

export function staticFromConst(t: TensorConst): Static {
  return { dtype: t.dtype, dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint | boolean>, (v) => Number(v)) };
}

const numeric = (s: Static): boolean => s.data.every((v) => typeof v === 'number');
/** The entries of a static value known to be numeric. */
const numbers = (s: Static): number[] => s.data as number[];
const isInt = (d: DType) => d === 'int32' || d === 'int64';

function strides(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1]! * dims[i + 1]!;
  return out;
}

/** Element-wise over numpy-broadcast operands; null when a symbolic entry would need arithmetic. */
function elementwise(inputs: readonly Static[], dtype: DType, f: (...xs: number[]) => number): Static | null {
  if (!inputs.every(numeric)) return null;
  const rank = Math.max(...inputs.map((s) => s.dims.length));
  const dims = Array.from({ length: rank }, (_, i) => Math.max(...inputs.map((s) => s.dims[s.dims.length - rank + i] ?? 1)));
  const out: number[] = [];
  const outStrides = strides(dims);
  for (let flat = 0; flat < elementCount(dims); flat++) {
    const idx = outStrides.map((st, i) => Math.floor(flat / st) % dims[i]!);
    out.push(f(...inputs.map((s) => {
      const st = strides(s.dims);
      let k = 0;
      s.dims.forEach((d, i) => (k += (d === 1 ? 0 : idx[rank - s.dims.length + i]!) * st[i]!));
      return s.data[k] as number;
    })));
  }
  return { dtype, dims, data: isInt(dtype) ? out.map(Math.trunc) : out };
}

const attrNumber = (attrs: Attrs, key: string, fallback: number) => (typeof attrs[key] === 'number' ? (attrs[key] as number) : fallback);

const normalize = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/**
 * The node's outputs if they can be computed now from static inputs (`shapeOf` gives the
 * shape of a non-static input, for `Shape`); null otherwise.
 */
export function fold(op: string, inputs: readonly (Static | null | undefined)[], attrs: Attrs, shapeOf: () => readonly Dim[] | undefined): Static[] | null {
  if (op === 'Shape') {
    const shape = inputs[0] ? inputs[0].dims : shapeOf();
    if (!shape || shape.some((d) => d === '?')) return null;
    const start = normalize(attrNumber(attrs, 'start', 0), shape.length);
    const end = normalize(attrNumber(attrs, 'end', shape.length), shape.length);
    const dims = shape.slice(Math.max(0, start), Math.min(shape.length, end));
    return [{ dtype: 'int64', dims: [dims.length], data: dims }];
  }
  if (op === 'Constant') {
    const t = attrs.value as TensorConst | undefined;
    if (t && typeof t === 'object') return [staticFromConst(t)];
    if (typeof attrs.value_float === 'number') return [{ dtype: 'float32', dims: [], data: [attrs.value_float] }];
    if (typeof attrs.value_int === 'number') return [{ dtype: 'int64', dims: [], data: [attrs.value_int] }];
    if (Array.isArray(attrs.value_floats)) return [{ dtype: 'float32', dims: [attrs.value_floats.length], data: [...attrs.value_floats] }];
    if (Array.isArray(attrs.value_ints)) return [{ dtype: 'int64', dims: [attrs.value_ints.length], data: [...attrs.value_ints] }];
    return null;
  }
  if (inputs.some((s, i) => s === null && i < inputs.length)) {
    // A missing optional input ('' in the file) is undefined; a computed one is null.
    return null;
  }
  const [a, b, c] = inputs as (Static | undefined)[];
  if (!a) return null;
  switch (op) {
    case 'Identity':
      return [a];
    case 'Cast': {
      const to = dtypeFromOnnx(attrNumber(attrs, 'to', 1));
      if (!numeric(a)) return isInt(to) ? [{ ...a, dtype: to }] : null;
      return [{ dtype: to, dims: a.dims, data: numbers(a).map((v) => (isInt(to) ? Math.trunc(v) : to === 'bool' ? Number(v !== 0) : v)) }];
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const axes = b && numeric(b) ? numbers(b) : [];
      if (op === 'Unsqueeze') {
        const rank = a.dims.length + axes.length;
        const set = new Set(axes.map((x) => normalize(x, rank)));
        const rest = [...a.dims];
        return [{ ...a, dims: Array.from({ length: rank }, (_, i) => (set.has(i) ? 1 : rest.shift()!)) }];
      }
      const set = new Set(axes.length ? axes.map((x) => normalize(x, a.dims.length)) : a.dims.flatMap((d, i) => (d === 1 ? [i] : [])));
      return [{ ...a, dims: a.dims.filter((_, i) => !set.has(i)) }];
    }
    case 'Concat': {
      const all = inputs as Static[];
      if (!all.every((s) => s.dims.length === 1)) return null;
      return [{ dtype: a.dtype, dims: [all.reduce((n, s) => n + s.dims[0]!, 0)], data: all.flatMap((s) => s.data) }];
    }
    case 'Gather': {
      if (!b || !numeric(b)) return null;
      const axis = normalize(attrNumber(attrs, 'axis', 0), a.dims.length);
      const st = strides(a.dims);
      const outer = elementCount(a.dims.slice(0, axis));
      const inner = st[axis]!;
      const data: (number | string)[] = [];
      for (let o = 0; o < outer; o++) for (const index of numbers(b)) for (let i = 0; i < inner; i++) data.push(a.data[o * a.dims[axis]! * inner + normalize(index, a.dims[axis]!) * inner + i]!);
      return [{ dtype: a.dtype, dims: [...a.dims.slice(0, axis), ...b.dims, ...a.dims.slice(axis + 1)], data }];
    }
    case 'Slice': {
      if (a.dims.length !== 1 || !b || !c || !numeric(b) || !numeric(c)) return null;
      const steps = inputs[4];
      const step = steps && numeric(steps) ? numbers(steps)[0]! : 1;
      const n = a.dims[0]!;
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
      const data: (number | string)[] = [];
      const [start, end] = [numbers(b)[0]!, numbers(c)[0]!];
      if (step > 0) for (let i = clamp(start, 0, n); i < clamp(end, 0, n); i += step) data.push(a.data[i]!);
      else for (let i = clamp(start, -1, n - 1); i > clamp(end, -1, n - 1); i += step) data.push(a.data[i]!);
      return [{ dtype: a.dtype, dims: [data.length], data }];
    }
    case 'Reshape': {
      if (!b || !numeric(b)) return null;
      const target = numbers(b).map((d, i) => (d === 0 ? a.dims[i]! : d));
      const hole = target.indexOf(-1);
      if (hole >= 0) target[hole] = elementCount(a.dims) / -elementCount(target);
      return [{ ...a, dims: target }];
    }
    case 'ConstantOfShape': {
      if (!numeric(a) || elementCount(numbers(a)) > MAX_FOLDED) return null;
      const value = attrs.value ? staticFromConst(attrs.value as TensorConst) : { dtype: 'float32' as DType, dims: [1], data: [0] };
      return [{ dtype: value.dtype, dims: numbers(a), data: new Array<number>(elementCount(numbers(a))).fill(value.data[0] as number) }];
    }
    case 'Range': {
      if (!b || !c || ![a, b, c].every(numeric)) return null;
      const [start, limit, delta] = [a.data[0] as number, b.data[0] as number, c.data[0] as number];
      const count = Math.max(Math.ceil((limit - start) / delta), 0);
      if (count > MAX_FOLDED) return null;
      return [{ dtype: a.dtype, dims: [count], data: Array.from({ length: count }, (_, i) => start + i * delta) }];
    }
    case 'Add':
      return wrap(elementwise([a, b!], a.dtype, (x, y) => x + y));
    case 'Sub':
      return wrap(elementwise([a, b!], a.dtype, (x, y) => x - y));
    case 'Mul':
      return wrap(elementwise([a, b!], a.dtype, (x, y) => x * y));
    case 'Div':
      return wrap(elementwise([a, b!], a.dtype, (x, y) => x / y));
    case 'Mod':
      return wrap(elementwise([a, b!], a.dtype, (x, y) => x % y));
    case 'Pow':
      return wrap(elementwise([a, b!], a.dtype, (x, y) => x ** y));
    case 'Sqrt':
      return wrap(elementwise([a], a.dtype, Math.sqrt));
    case 'Neg':
      return wrap(elementwise([a], a.dtype, (x) => -x));
    case 'Floor':
      return wrap(elementwise([a], a.dtype, Math.floor));
    case 'Ceil':
      return wrap(elementwise([a], a.dtype, Math.ceil));
    case 'Equal':
      return wrap(elementwise([a, b!], 'bool', (x, y) => Number(x === y)));
    case 'Less':
      return wrap(elementwise([a, b!], 'bool', (x, y) => Number(x < y)));
    case 'Greater':
      return wrap(elementwise([a, b!], 'bool', (x, y) => Number(x > y)));
    case 'Not':
      return wrap(elementwise([a], 'bool', (x) => Number(!x)));
    case 'Where':
      return wrap(elementwise([a, b!, c!], b!.dtype, (cond, x, y) => (cond ? x : y)));
    default:
      return null;
  }
}

function wrap(s: Static | null): Static[] | null {
  return s && elementCount(s.dims) <= MAX_FOLDED ? [s] : null;
}
