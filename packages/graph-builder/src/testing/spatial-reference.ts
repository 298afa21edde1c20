/**
 * An independent float64 forward pass of the sliding-window ops (Conv, ConvTranspose, MaxPool
 * and its windows' tied maxima, AveragePool, the global pools) for tests, written from the ONNX
 * operator specs over flat row-major arrays. It imports nothing from the op table: its padding
 * and output-size arithmetic is its own, so a test comparing it with onnxruntime checks the
 * shape rules too.
 */
import type { RefTensor } from './reference.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface WindowOptions {
  readonly autoPad?: AutoPad;
  readonly strides?: readonly number[];
  readonly dilations?: readonly number[];
  /** [begin…, end…] as in ONNX. */
  readonly pads?: readonly number[];
}

export interface ConvOptions extends WindowOptions {
  readonly group?: number;
}

export interface ConvTransposeOptions extends ConvOptions {
  readonly outputPadding?: readonly number[];
  readonly outputShape?: readonly number[];
}

export interface PoolOptions extends WindowOptions {
  readonly kernel: readonly number[];
  readonly ceilMode?: boolean;
  readonly countIncludePad?: boolean;
}

interface Axis {
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly begin: number;
  readonly end: number;
  readonly out: number;
}

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** Every multi-index of `dims`, row-major. */
function* positions(dims: readonly number[]): Generator<number[]> {
  const total = product(dims);
  for (let flat = 0; flat < total; flat++) {
    const index = new Array<number>(dims.length);
    let rest = flat;
    for (let i = dims.length - 1; i >= 0; i--) {
      index[i] = rest % dims[i]!;
      rest = Math.floor(rest / dims[i]!);
    }
    yield index;
  }
}

const flatIndex = (index: readonly number[], dims: readonly number[]) => index.reduce((acc, v, i) => acc * dims[i]! + v, 0);

/** Output size and padding of each spatial axis of a forward window (Conv, pools). */
function windowAxes(sizes: readonly number[], kernel: readonly number[], o: WindowOptions, ceilMode = false): Axis[] {
  const n = sizes.length;
  return sizes.map((size, i) => {
    const stride = o.strides?.[i] ?? 1;
    const dilation = o.dilations?.[i] ?? 1;
    const span = (kernel[i]! - 1) * dilation + 1;
    const autoPad = o.autoPad ?? 'NOTSET';
    if (autoPad === 'VALID') return { kernel: kernel[i]!, stride, dilation, begin: 0, end: 0, out: Math.ceil((size - span + 1) / stride) };
    if (autoPad !== 'NOTSET') {
      const out = Math.ceil(size / stride);
      const total = Math.max(0, (out - 1) * stride + span - size);
      const begin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      return { kernel: kernel[i]!, stride, dilation, begin, end: total - begin, out };
    }
    const [begin, end] = [o.pads?.[i] ?? 0, o.pads?.[i + n] ?? 0];
    const exact = (size + begin + end - span) / stride;
    let out = (ceilMode ? Math.ceil(exact) : Math.floor(exact)) + 1;
    // ceil_mode: a window starting in the end padding is dropped
    if (ceilMode && (out - 1) * stride >= size + begin) out--;
    return { kernel: kernel[i]!, stride, dilation, begin, end, out };
  });
}

/** Conv: x [N, C, in…], w [M, C/group, k…], optional bias [M]. */
export function convRef(x: RefTensor, w: RefTensor, bias: RefTensor | undefined, o: ConvOptions = {}): RefTensor {
  const [batch, channels, ...sizes] = x.dims as number[];
  const [outChannels, groupChannels, ...kernel] = w.dims as number[];
  const group = o.group ?? 1;
  if (groupChannels! * group !== channels) throw new Error(`convRef: ${channels} channels for weight [${w.dims.join(', ')}] and group ${group}`);
  const axes = windowAxes(sizes, kernel, o);
  const outDims = [batch!, outChannels!, ...axes.map((a) => a.out)];
  const data = new Float64Array(product(outDims));
  const perGroup = outChannels! / group;
  for (const [n, m, ...at] of positions(outDims)) {
    const g = Math.floor(m! / perGroup);
    let sum = bias ? Number(bias.data[m!]) : 0;
    for (let c = 0; c < groupChannels!; c++) {
      for (const tap of positions(kernel)) {
        const source = at.map((p, i) => p * axes[i]!.stride - axes[i]!.begin + tap[i]! * axes[i]!.dilation);
        if (source.some((s, i) => s < 0 || s >= sizes[i]!)) continue;
        sum += Number(x.data[flatIndex([n!, g * groupChannels! + c, ...source], x.dims)]) * Number(w.data[flatIndex([m!, c, ...tap], w.dims)]);
      }
    }
    data[flatIndex([n!, m!, ...at], outDims)] = sum;
  }
  return { data, dims: outDims };
}

/**
 * ConvTranspose: x [N, C, in…], w [C, M/group, k…], optional bias [M]. Each input element adds
 * x·w into the full output at in·stride + tap·dilation; the full output, stride·(in − 1) +
 * output_padding + window long, loses pads at each end (from output_shape or auto_pad per the
 * spec: the odd unit at the start, except SAME_UPPER).
 */
export function convTransposeRef(x: RefTensor, w: RefTensor, bias: RefTensor | undefined, o: ConvTransposeOptions = {}): RefTensor {
  const [batch, channels, ...sizes] = x.dims as number[];
  const [, groupOut, ...kernel] = w.dims as number[];
  const group = o.group ?? 1;
  const n = sizes.length;
  const outChannels = groupOut! * group;
  const perGroup = channels! / group;
  const strides = sizes.map((_, i) => o.strides?.[i] ?? 1);
  const dilations = sizes.map((_, i) => o.dilations?.[i] ?? 1);
  const full = sizes.map((s, i) => strides[i]! * (s - 1) + (o.outputPadding?.[i] ?? 0) + (kernel[i]! - 1) * dilations[i]! + 1);
  const autoPad = o.autoPad ?? 'NOTSET';
  const begin: number[] = [];
  const out = sizes.map((s, i) => {
    const target = o.outputShape?.[i] ?? (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? s * strides[i]! : undefined);
    if (target === undefined) {
      const [b, e] = autoPad === 'VALID' ? [0, 0] : [o.pads?.[i] ?? 0, o.pads?.[i + n] ?? 0];
      begin.push(b);
      return full[i]! - b - e;
    }
    const total = full[i]! - target;
    begin.push(autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2));
    return target;
  });
  const outDims = [batch!, outChannels, ...out];
  const data = new Float64Array(product(outDims));
  for (const [nIndex, m, ...at] of positions(outDims)) data[flatIndex([nIndex!, m!, ...at], outDims)] = bias ? Number(bias.data[m!]) : 0;
  for (const [nIndex, c, ...at] of positions(x.dims)) {
    const g = Math.floor(c! / perGroup);
    const value = Number(x.data[flatIndex([nIndex!, c!, ...at], x.dims)]);
    for (let j = 0; j < groupOut!; j++) {
      for (const tap of positions(kernel)) {
        const target = at.map((p, i) => p * strides[i]! + tap[i]! * dilations[i]! - begin[i]!);
        if (target.some((t, i) => t < 0 || t >= out[i]!)) continue;
        data[flatIndex([nIndex!, g * groupOut! + j, ...target], outDims)]! += value * Number(w.data[flatIndex([c!, j, ...tap], w.dims)]);
      }
    }
  }
  return { data, dims: outDims };
}

/** The elements of one pooling window: flat input index and whether it is inside the input (not padding). */
function windowCells(axes: readonly Axis[], at: readonly number[], planeOffset: number, sizes: readonly number[]) {
  const cells: { index: number; inside: boolean; inPaddedRange: boolean }[] = [];
  for (const tap of positions(axes.map((a) => a.kernel))) {
    const source = at.map((p, i) => p * axes[i]!.stride - axes[i]!.begin + tap[i]! * axes[i]!.dilation);
    const inside = source.every((s, i) => s >= 0 && s < sizes[i]!);
    // the padded input spans [−begin, size + end); ceil_mode windows may reach past it
    const inPaddedRange = source.every((s, i) => s >= -axes[i]!.begin && s < sizes[i]! + axes[i]!.end);
    cells.push({ index: inside ? planeOffset + flatIndex(source, sizes) : -1, inside, inPaddedRange });
  }
  return cells;
}

function pool(x: RefTensor, o: PoolOptions, reduce: (values: number[], counted: number) => number, indices?: number[]): RefTensor {
  const [batch, channels, ...sizes] = x.dims as number[];
  const axes = windowAxes(sizes, o.kernel, o, o.ceilMode);
  const outDims = [batch!, channels!, ...axes.map((a) => a.out)];
  const data = new Float64Array(product(outDims));
  const plane = product(sizes);
  for (const [nIndex, c, ...at] of positions(outDims)) {
    const cells = windowCells(axes, at, (nIndex! * channels! + c!) * plane, sizes);
    const inside = cells.filter((cell) => cell.inside);
    const values = inside.map((cell) => Number(x.data[cell.index]));
    const counted = o.countIncludePad ? cells.filter((cell) => cell.inPaddedRange).length : inside.length;
    const flat = flatIndex([nIndex!, c!, ...at], outDims);
    data[flat] = reduce(values, counted);
    if (indices) indices[flat] = inside[values.indexOf(data[flat]!)]!.index;
  }
  return { data, dims: outDims };
}

/** MaxPool: the max over each window's elements inside the input, and its flat index over the whole input. */
export function maxPoolRef(x: RefTensor, o: PoolOptions): { y: RefTensor; indices: number[] } {
  const indices: number[] = [];
  const y = pool(x, o, (values) => Math.max(...values), indices);
  return { y, indices };
}

/**
 * The windows of a MaxPool, in output order: the flat input indices of each window's elements
 * inside the input, and of those equal to its max (its tied maxima).
 */
export function maxPoolWindowsRef(x: RefTensor, o: PoolOptions): { cells: number[]; maxima: number[] }[] {
  const [batch, channels, ...sizes] = x.dims as number[];
  const axes = windowAxes(sizes, o.kernel, o, o.ceilMode);
  const plane = product(sizes);
  const windows: { cells: number[]; maxima: number[] }[] = [];
  for (const [nIndex, c, ...at] of positions([batch!, channels!, ...axes.map((a) => a.out)])) {
    const cells = windowCells(axes, at, (nIndex! * channels! + c!) * plane, sizes)
      .filter((cell) => cell.inside)
      .map((cell) => cell.index);
    const max = Math.max(...cells.map((i) => Number(x.data[i])));
    windows.push({ cells, maxima: cells.filter((i) => Number(x.data[i]) === max) });
  }
  return windows;
}

/** AveragePool: the sum over each window divided by its elements inside the input, or inside the padded input with countIncludePad. */
export function averagePoolRef(x: RefTensor, o: PoolOptions): RefTensor {
  return pool(x, { ...o, dilations: undefined }, (values, counted) => values.reduce((s, v) => s + v, 0) / counted);
}

/** GlobalAveragePool / GlobalMaxPool: one value per (N, C) plane, spatial dims kept as 1. */
export function globalPoolRef(x: RefTensor, kind: 'average' | 'max'): RefTensor {
  const [batch, channels, ...sizes] = x.dims as number[];
  const plane = product(sizes);
  const data = new Float64Array(batch! * channels!);
  for (let p = 0; p < data.length; p++) {
    const values = Array.from({ length: plane }, (_, i) => Number(x.data[p * plane + i]));
    data[p] = kind === 'max' ? Math.max(...values) : values.reduce((s, v) => s + v, 0) / plane;
  }
  return { data, dims: [batch!, channels!, ...sizes.map(() => 1)] };
}
