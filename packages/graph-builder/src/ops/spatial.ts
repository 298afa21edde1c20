import { formatShape, type Dim, type Value } from '../ir/types.js';
import { floatInput } from './rules.js';

/** The attributes that place a sliding window (Conv, ConvTranspose, the pools), as given. */
export interface WindowAttrs {
  readonly auto_pad: string;
  readonly strides: readonly number[] | undefined;
  readonly dilations?: readonly number[] | undefined;
  readonly pads: readonly number[] | undefined;
}

/** Where a window slides along each spatial axis, once the padding is resolved. */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Padding before and after each spatial axis; undefined where auto_pad needs a symbolic input size. */
  readonly begin: readonly (number | undefined)[];
  readonly end: readonly (number | undefined)[];
  /** Output size of each spatial axis ('?' where it depends on a symbolic input size). */
  readonly out: readonly Dim[];
}

/** The window with its padding known along every axis (the gradient rules need static spatial sizes). */
export interface StaticWindow extends Window {
  readonly begin: readonly number[];
  readonly end: readonly number[];
  readonly in: readonly number[];
  readonly out: readonly number[];
}

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** A float input of rank ≥ 3 laid out as [N, C, spatial…]. */
export function spatialInput(inputs: readonly (Value | null)[], i: number, node: string): Value {
  const x = floatInput(inputs, i, node);
  if (x.shape.length < 3) throw new Error(`node ${node}: input ${i} must be [N, C, spatial…] (rank ≥ 3), got ${formatShape(x.shape)}`);
  return x;
}

/** The strides, dilations and pads of an `n`-axis window, checked (defaults: 1, 1, 0). */
export function windowSteps(n: number, attrs: WindowAttrs, node: string): { strides: number[]; dilations: number[]; pads: number[] } {
  if (!AUTO_PADS.includes(attrs.auto_pad)) throw new Error(`node ${node}: auto_pad must be one of ${AUTO_PADS.join(', ')}, got '${attrs.auto_pad}'`);
  return {
    strides: perAxis('strides', attrs.strides, n, 1, 1, node),
    dilations: perAxis('dilations', attrs.dilations, n, 1, 1, node),
    pads: perAxis('pads', attrs.pads, 2 * n, 0, 0, node),
  };
}

/** A per-axis attribute: its value checked for length and minimum, or `fallback` per axis. */
export function perAxis(name: string, given: readonly number[] | undefined, count: number, min: number, fallback: number, node: string): number[] {
  if (given === undefined) return new Array<number>(count).fill(fallback);
  if (given.length !== count || given.some((v) => v < min)) {
    throw new Error(`node ${node}: ${name} must be ${count} integers ≥ ${min}, got [${given.join(', ')}]`);
  }
  return [...given];
}

/** The size of a window of `k` taps `d` apart. */
export const dilated = (k: number, d: number): number => (k - 1) * d + 1;

/**
 * Resolve the padding and output size of a sliding window (Conv, MaxPool, AveragePool) over the
 * spatial sizes `sizes`, per the ONNX spec: explicit pads, VALID (none), or SAME_UPPER/SAME_LOWER
 * (output ceil(in / stride), the odd padding unit at the end or at the start); with `ceilMode`
 * the output rounds up, dropping a last window that would start inside the end padding.
 */
export function slideWindow(sizes: readonly Dim[], kernel: readonly number[], attrs: WindowAttrs, node: string, ceilMode = false): Window {
  const n = kernel.length;
  const { strides, dilations, pads } = windowSteps(n, attrs, node);
  const begin: (number | undefined)[] = [];
  const end: (number | undefined)[] = [];
  const out = sizes.map((size, i): Dim => {
    const [k, s] = [dilated(kernel[i]!, dilations[i]!), strides[i]!];
    if (attrs.auto_pad === 'SAME_UPPER' || attrs.auto_pad === 'SAME_LOWER') {
      if (typeof size !== 'number') {
        begin.push(undefined);
        end.push(undefined);
        return '?';
      }
      const outSize = Math.ceil(size / s);
      const total = Math.max(0, (outSize - 1) * s + k - size);
      const small = Math.floor(total / 2);
      begin.push(attrs.auto_pad === 'SAME_UPPER' ? small : total - small);
      end.push(attrs.auto_pad === 'SAME_UPPER' ? total - small : small);
      return outSize;
    }
    const [b, e] = attrs.auto_pad === 'VALID' ? [0, 0] : [pads[i]!, pads[i + n]!];
    begin.push(b);
    end.push(e);
    if (typeof size !== 'number') return '?';
    const span = size + b + e - k;
    if (span < 0) throw new Error(`node ${node}: the window (${k} wide along spatial axis ${i}) is larger than the padded input (${size + b + e})`);
    if (!ceilMode || attrs.auto_pad === 'VALID') return Math.floor(span / s) + 1;
    const rounded = Math.ceil(span / s) + 1;
    return (rounded - 1) * s >= size + b ? rounded - 1 : rounded;
  });
  return { kernel, strides, dilations, begin, end, out };
}

/** The window with static spatial sizes, for a gradient rule; throws naming the op and node otherwise. */
export function staticWindow(w: Window, sizes: readonly Dim[], op: string, node: string): StaticWindow {
  if (sizes.some((d) => typeof d !== 'number')) {
    throw new Error(`no gradient rule for op ${op} over symbolic spatial sizes ${formatShape(sizes)} (node ${node})`);
  }
  return { ...w, in: sizes as number[], begin: w.begin as number[], end: w.end as number[], out: w.out as number[] };
}

/**
 * Along each axis, how many trailing elements of the padded input no window reaches:
 * (in + pads − window) mod stride. A transposed convolution back to the input size adds them as
 * output_padding (ceil_mode can make it negative: then the window overhangs the end padding).
 */
export function leftover(w: StaticWindow): number[] {
  return w.in.map((size, i) => size + w.begin[i]! + w.end[i]! - dilated(w.kernel[i]!, w.dilations[i]!) - w.strides[i]! * (w.out[i]! - 1));
}
