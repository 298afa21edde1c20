import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Attrs, type Value } from '../ir/types.js';
import { onnxDataType } from '../onnx/dtypes.js';
import { reshapeLike } from './grad.js';
import { leftover, slideWindow, spatialInput, staticWindow, type StaticWindow, type Window, type WindowAttrs } from './spatial.js';
import { readAttrs, type OpDef } from './types.js';
import { elementCount } from '../ir/element-count.js';

const windowAttrs = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  ceil_mode: { type: 'int', default: 0 },
  kernel_shape: { type: 'ints' },
  pads: { type: 'ints' },
  strides: { type: 'ints' },
} as const;
const maxPoolAttrs = { ...windowAttrs, dilations: { type: 'ints' }, storage_order: { type: 'int', default: 0 } } as const;
const averagePoolAttrs = { ...windowAttrs, count_include_pad: { type: 'int', default: 0 } } as const;

type PoolAttrs = WindowAttrs & { readonly kernel_shape: readonly number[] | undefined; readonly ceil_mode: number };

/** The pooling window over x's spatial axes; kernel_shape is required and gives the rank. */
function poolWindow(x: Value, a: PoolAttrs, node: string): Window {
  const spatial = x.shape.length - 2;
  if (!a.kernel_shape) throw new Error(`node ${node}: kernel_shape is required`);
  if (a.kernel_shape.length !== spatial || a.kernel_shape.some((k) => k < 1)) {
    throw new Error(`node ${node}: kernel_shape must be ${spatial} integers ≥ 1 for input ${formatShape(x.shape)}, got [${a.kernel_shape.join(', ')}]`);
  }
  return slideWindow(x.shape.slice(2), a.kernel_shape, a, node, a.ceil_mode === 1);
}

const pooledShape = (x: Value, w: Window) => [x.shape[0]!, x.shape[1]!, ...w.out];

/** The identity over a window's taps as a [taps, 1, k…] kernel: a Conv with it lists each window's elements as channels; a ConvTranspose puts them back. */
function tapKernel(b: GraphBuilder, w: StaticWindow, dtype: Value['dtype']): Value {
  const taps = elementCount(w.kernel);
  return b.constant(Array.from({ length: taps * taps }, (_, i) => (i % (taps + 1) === 0 ? 1 : 0)), dtype, [taps, 1, ...w.kernel]);
}

/**
 * The pads of the gradient rules' (transposed) convolutions: the pool's, with the end padding
 * grown where a ceil_mode window overhangs it, so that a convolution has the pool's output size.
 */
function paddingFor(w: StaticWindow): number[] {
  return [...w.begin, ...w.end.map((e, i) => e - Math.min(leftover(w)[i]!, 0))];
}

/** Whether the windows tile the input: kernel = strides, no padding, no dilation, every size a multiple of the kernel. */
function tiles(w: StaticWindow): boolean {
  return w.kernel.every((k, i) => w.strides[i] === k && w.dilations[i] === 1 && w.begin[i] === 0 && w.end[i] === 0 && w.in[i]! % k === 0);
}

/**
 * A pooled tensor [N, C, out…] spread back over the windows that tile the input: each value
 * repeated over its window, [N, C, in…]. Along the last axis by a product with a 0/1 matrix
 * (each output sums one value times 1 and zeros: exact for finite values), along the others by
 * Expand; onnxruntime broadcasts slowly over a short innermost axis, so neither is left to
 * broadcasting in Equal or Mul.
 */
function spreadOverWindows(b: GraphBuilder, v: Value, w: StaticWindow): Value {
  const last = w.kernel.length - 1;
  const [outLast, inLast, kLast] = [w.out[last]!, w.in[last]!, w.kernel[last]!];
  let spread = v;
  if (kLast > 1) {
    const repeat = Array.from({ length: outLast * inLast }, (_, i) => (Math.floor(i / inLast) === Math.floor((i % inLast) / kLast) ? 1 : 0));
    spread = b.op('MatMul', [v, b.constant(repeat, v.dtype, [outLast, inLast])]);
  }
  if (w.kernel.slice(0, last).some((k) => k > 1)) {
    const split = b.constant([0, 0, ...w.out.slice(0, last).flatMap((o) => [o, 1]), inLast], 'int64');
    const repeats = b.constant([1, 1, ...w.kernel.slice(0, last).flatMap((k) => [1, k]), 1], 'int64');
    spread = b.op('Reshape', [b.op('Expand', [b.op('Reshape', [spread, split]), repeats]), b.constant([0, 0, ...w.in], 'int64')]);
  }
  return spread;
}

/** Every index tuple of an array of `dims`, in row-major order. */
const indicesOf = (dims: readonly number[]): number[][] => dims.reduce<number[][]>((all, d) => all.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i])), [[]]);

/**
 * Per tap and window, 1 where the tap reads an input element and 0 where it lands in the
 * padding (or past the end with ceil_mode), as a constant [taps, out…]; undefined when every
 * tap of every window is inside the input.
 */
function insideTaps(b: GraphBuilder, w: StaticWindow, dtype: Value['dtype']): Value | undefined {
  const inside = (axis: number, tap: number, out: number) => {
    const position = out * w.strides[axis]! - w.begin[axis]! + tap * w.dilations[axis]!;
    return position >= 0 && position < w.in[axis]!;
  };
  const outs = indicesOf(w.out);
  const mask = indicesOf(w.kernel).flatMap((tap) => outs.map((out) => (tap.every((t, axis) => inside(axis, t, out[axis]!)) ? 1 : 0)));
  return mask.every((v) => v === 1) ? undefined : b.constant(mask, dtype, [mask.length / outs.length, ...w.out]);
}

/**
 * MaxPool: outputs Y and (optionally) Indices. The gradient goes to the elements equal to their
 * window's max, split equally among tied maxima: each of a window's k maxima gets dY / k (a valid
 * subgradient, as in ReduceMax's rule; giving each all of dY would multiply the gradient by k,
 * and ties are common: a blank background or ReLU zeros fill whole windows with one value).
 * Where the windows tile the input (the common kernel = strides case), Y is spread back over its
 * windows, the mask of X = Y averaged per window gives k, and dY / k spread back is kept under
 * the mask: a few element-wise ops. Otherwise every (N, C) plane becomes a batch item, a Conv
 * with the tap kernel lists each window's elements, those equal to Y make the mask (without
 * the padding taps, which read 0 and would tie with a max of 0), its sum over the taps gives k,
 * the mask times dY / k is added back in place by a ConvTranspose with the same kernel
 * (overlapping windows add up). It does not read Indices: the webgpu provider runs no MaxPool
 * with an Indices output, and ScatterElements, its natural use, only on the CPU.
 */
export const MaxPool: OpDef<typeof maxPoolAttrs> = {
  attrs: maxPoolAttrs,
  infer: (inputs, attrs, node) => {
    const x = spatialInput(inputs, 0, node);
    const shape = pooledShape(x, poolWindow(x, readAttrs(maxPoolAttrs, attrs), node));
    return [
      { dtype: x.dtype, shape },
      { dtype: 'int64', shape },
    ];
  },
  vjp: ([dy], { inputs: [x], outputs: [y], attrs, name }, b) => {
    const w = staticWindow(poolWindow(x!, readAttrs(maxPoolAttrs, attrs), name), x!.shape.slice(2), 'MaxPool', name);
    const i64 = (values: readonly number[]) => b.constant(values, 'int64');
    const floatOf = (mask: Value) => b.op('Cast', [mask], { to: onnxDataType[x!.dtype] });
    if (tiles(w)) {
      const isMax = floatOf(b.op('Equal', [x!, spreadOverWindows(b, y!, w)]));
      // k from the mask's mean over each window, k / taps: × taps it is k only to within a rounding
      // (7 / 13 · 13 is 7.0000005 in float32); × (taps + ½) it is k + k / (2·taps), above k and at
      // most k + ½ by margins far wider than a rounding (for windows under 2²² taps): its Floor is k.
      // (Round has no webgpu kernel. A ReduceSum over the window axes split out by a Reshape is
      // exact too, but runs in onnxruntime's generic reduction: measured, twice the added time.)
      const taps = elementCount(w.kernel);
      const meanMask = b.op('AveragePool', [isMax], { kernel_shape: w.kernel, strides: w.kernel });
      const ties = b.op('Floor', [b.op('Mul', [meanMask, b.constant(taps + 0.5, x!.dtype)])]);
      return [b.op('Mul', [isMax, spreadOverWindows(b, b.op('Div', [dy!, ties]), w)])];
    }
    const window = { strides: w.strides, dilations: w.dilations, pads: paddingFor(w) };
    const taps = tapKernel(b, w, x!.dtype);
    const planes = (v: Value, sizes: readonly number[]) => b.op('Reshape', [v, i64([-1, 1, ...sizes])]);
    const elements = b.op('Conv', [planes(x!, w.in), taps], window);
    const equal = b.op('Equal', [elements, planes(y!, w.out)]);
    const inside = insideTaps(b, w, x!.dtype);
    const isMax = inside ? b.op('Mul', [floatOf(equal), inside]) : floatOf(equal);
    const ties = b.op('ReduceSum', [isMax, i64([1])], { keepdims: 1 });
    const routed = b.op('Mul', [isMax, b.op('Div', [planes(dy!, w.out), ties])]);
    const spread = b.op('ConvTranspose', [routed, taps], { ...window, output_padding: leftover(w).map((r) => Math.max(r, 0)) });
    return [reshapeLike(b, spread, x!)];
  },
};

/**
 * How many elements each output of an average pool divides by, along one axis: the window
 * clipped to the input (count_include_pad 0) or to the padded input (1). The divisor of a
 * window is the product over the axes.
 */
function divisorsAlong(w: StaticWindow, axis: number, includePad: boolean): number[] {
  const [size, begin, end, k, s] = [w.in[axis]!, w.begin[axis]!, w.end[axis]!, w.kernel[axis]!, w.strides[axis]!];
  const [low, high] = includePad ? [-begin, size + end] : [0, size];
  return Array.from({ length: w.out[axis]! }, (_, o) => Math.min(o * s - begin + k, high) - Math.max(o * s - begin, low));
}

/** 1 / divisor for every output position, as a constant [out…] tensor. */
function inverseDivisors(w: StaticWindow, includePad: boolean): number[] {
  let out = [1];
  w.out.forEach((_, axis) => {
    const along = divisorsAlong(w, axis, includePad);
    out = out.flatMap((v) => along.map((d) => v / d));
  });
  return out;
}

/**
 * AveragePool. The gradient spreads dY / divisor back over each window: a transposed
 * convolution with a kernel of ones, run on every (N, C) plane as its own batch item, with the
 * pool's strides and padding and as output_padding the trailing inputs no window reached (with
 * ceil_mode, a window overhanging the end padding is cropped there instead).
 */
export const AveragePool: OpDef<typeof averagePoolAttrs> = {
  attrs: averagePoolAttrs,
  infer: (inputs, attrs, node) => {
    const x = spatialInput(inputs, 0, node);
    return [{ dtype: x.dtype, shape: pooledShape(x, poolWindow(x, readAttrs(averagePoolAttrs, attrs), node)) }];
  },
  vjp: ([dy], { inputs: [x], attrs, name }, b) => {
    const a = readAttrs(averagePoolAttrs, attrs);
    const w = staticWindow(poolWindow(x!, a, name), x!.shape.slice(2), 'AveragePool', name);
    const scaled = b.op('Mul', [dy!, b.constant(inverseDivisors(w, a.count_include_pad === 1), x!.dtype, w.out)]);
    const planes = b.op('Reshape', [scaled, b.constant([-1, 1, ...w.out], 'int64')]);
    const ones = b.constant(new Array<number>(elementCount(w.kernel)).fill(1), x!.dtype, [1, 1, ...w.kernel]);
    const spread = b.op('ConvTranspose', [planes, ones], { strides: w.strides, pads: paddingFor(w), output_padding: leftover(w).map((r) => Math.max(r, 0)) });
    return [reshapeLike(b, spread, x!)];
  },
};

/** [N, C, spatial…] → [N, C, 1, …]. */
const globalPooled = (inputs: readonly (Value | null)[], _attrs: Attrs, node: string) => {
  const x = spatialInput(inputs, 0, node);
  return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
};

/** The number of spatial positions of x: a constant when static, from its runtime shape otherwise. */
function spatialCount(b: GraphBuilder, x: Value, pooled: Value): Value {
  const spatial = x.shape.slice(2);
  if (spatial.every((d) => typeof d === 'number')) return b.constant(elementCount(spatial as number[]), x.dtype);
  const size = (v: Value) => b.op('Cast', [b.op('Size', [v])], { to: onnxDataType[x.dtype] });
  return b.op('Div', [size(x), size(pooled)]);
}

export const GlobalAveragePool: OpDef = {
  attrs: {},
  infer: globalPooled,
  vjp: ([dy], { inputs: [x], outputs: [y] }, b) => [b.op('Expand', [b.op('Div', [dy!, spatialCount(b, x!, y!)]), b.op('Shape', [x!])])],
};

/** GlobalMaxPool. The gradient goes to the elements equal to their plane's max; k tied maxima get dY / k each. */
export const GlobalMaxPool: OpDef = {
  attrs: {},
  infer: globalPooled,
  vjp: ([dy], { inputs: [x], outputs: [y] }, b) => {
    const isMax = b.op('Cast', [b.op('Equal', [x!, y!])], { to: onnxDataType[x!.dtype] });
    const ties = b.op('ReduceSum', [isMax, b.constant(x!.shape.slice(2).map((_, i) => i + 2), 'int64')], { keepdims: 1 });
    return [b.op('Mul', [isMax, b.op('Div', [dy!, ties])])];
  },
};
