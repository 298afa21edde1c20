import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Attrs, type Value } from '../ir/types.js';
import { onnxDataType } from '../onnx/dtypes.js';
import { reshapeLike } from './grad.js';
import { leftover, slideWindow, spatialInput, staticWindow, type StaticWindow, type Window, type WindowAttrs } from './spatial.js';
import { readAttrs, type OpDef } from './types.js';

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
  const taps = w.kernel.reduce((p, k) => p * k, 1);
  return b.constant(Array.from({ length: taps * taps }, (_, i) => (i % (taps + 1) === 0 ? 1 : 0)), dtype, [taps, 1, ...w.kernel]);
}

/**
 * The pads of the gradient rules' (transposed) convolutions: the pool's, with the end padding
 * grown where a ceil_mode window overhangs it, so that a convolution has the pool's output size.
 */
function paddingFor(w: StaticWindow): number[] {
  return [...w.begin, ...w.end.map((e, i) => e - Math.min(leftover(w)[i]!, 0))];
}

/**
 * MaxPool: outputs Y and (optionally) Indices. The gradient goes to the elements equal to their
 * window's max: every (N, C) plane becomes a batch item, a Conv with the tap kernel lists each
 * window's elements, those equal to Y get dY, and a ConvTranspose with the same kernel adds them
 * back in place (overlapping windows add up; padding taps land in the cropped border). Tied
 * maxima in one window each get all of dY. It does not read Indices: the webgpu provider runs
 * no MaxPool with an Indices output, and ScatterElements, its natural use, only on the CPU.
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
    const window = { strides: w.strides, dilations: w.dilations, pads: paddingFor(w) };
    const taps = tapKernel(b, w, x!.dtype);
    const planes = (v: Value, sizes: readonly number[]) => b.op('Reshape', [v, b.constant([-1, 1, ...sizes], 'int64')]);
    const elements = b.op('Conv', [planes(x!, w.in), taps], window);
    const isMax = b.op('Cast', [b.op('Equal', [elements, planes(y!, w.out)])], { to: onnxDataType[x!.dtype] });
    const routed = b.op('Mul', [isMax, planes(dy!, w.out)]);
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
    const ones = b.constant(new Array<number>(w.kernel.reduce((p, k) => p * k, 1)).fill(1), x!.dtype, [1, 1, ...w.kernel]);
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
  if (spatial.every((d) => typeof d === 'number')) return b.constant((spatial as number[]).reduce((p, d) => p * d, 1), x.dtype);
  const size = (v: Value) => b.op('Cast', [b.op('Size', [v])], { to: onnxDataType[x.dtype] });
  return b.op('Div', [size(x), size(pooled)]);
}

export const GlobalAveragePool: OpDef = {
  attrs: {},
  infer: globalPooled,
  vjp: ([dy], { inputs: [x], outputs: [y] }, b) => [b.op('Expand', [b.op('Div', [dy!, spatialCount(b, x!, y!)]), b.op('Shape', [x!])])],
};

/** GlobalMaxPool. The gradient goes to every element equal to its plane's max: tied maxima each get all of it. */
export const GlobalMaxPool: OpDef = {
  attrs: {},
  infer: globalPooled,
  vjp: ([dy], { inputs: [x], outputs: [y] }, b) => [b.op('Mul', [b.op('Cast', [b.op('Equal', [x!, y!])], { to: onnxDataType[x!.dtype] }), dy!])],
};
