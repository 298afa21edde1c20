import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Dim, type Value } from '../ir/types.js';
import { arg, sameDType } from './rules.js';
import { dilated, leftover, perAxis, slideWindow, spatialInput, staticWindow, windowSteps, type StaticWindow, type Window } from './spatial.js';
import { readAttrs, type OpDef, type ResolvedAttrs } from './types.js';

const convAttrs = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  dilations: { type: 'ints' },
  group: { type: 'int', default: 1 },
  kernel_shape: { type: 'ints' },
  pads: { type: 'ints' },
  strides: { type: 'ints' },
} as const;

const convTransposeAttrs = { ...convAttrs, output_padding: { type: 'ints' }, output_shape: { type: 'ints' } } as const;

/** The weight's kernel sizes (its dims after the first two), static, agreeing with kernel_shape when given. */
function kernelOf(w: Value, rank: number, kernelShape: readonly number[] | undefined, node: string): number[] {
  const kernel = w.shape.slice(2);
  if (w.shape.length !== rank || kernel.some((d) => typeof d !== 'number')) {
    throw new Error(`node ${node}: the weight must have rank ${rank} with static kernel sizes, got ${formatShape(w.shape)}`);
  }
  if (kernelShape && kernelShape.join(',') !== kernel.join(',')) {
    throw new Error(`node ${node}: kernel_shape [${kernelShape.join(', ')}] does not match the weight ${formatShape(w.shape)}`);
  }
  return kernel as number[];
}

function checkGroup(group: number, channels: Dim, node: string): void {
  if (group < 1) throw new Error(`node ${node}: group must be ≥ 1, got ${group}`);
  if (typeof channels === 'number' && channels % group !== 0) throw new Error(`node ${node}: ${channels} channels do not split into ${group} groups`);
}

/** The optional bias (input 2): [channels]. */
function checkBias(inputs: readonly (Value | null)[], channels: Dim, node: string): Value[] {
  const bias = inputs[2];
  if (!bias) return [];
  if (bias.shape.length !== 1 || (typeof channels === 'number' && typeof bias.shape[0] === 'number' && bias.shape[0] !== channels)) {
    throw new Error(`node ${node}: the bias must be [${channels}], got ${formatShape(bias.shape)}`);
  }
  return [bias];
}

const times = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : '?');
const spatialAxes = (rank: number): number[] => Array.from({ length: rank - 2 }, (_, i) => i + 2);

/** Slice the spatial axes of `v` down to `sizes` where they are larger (the weight gradient's surplus taps). */
function cropSpatial(b: GraphBuilder, v: Value, sizes: readonly number[]): Value {
  if (v.shape.slice(2).every((d, i) => d === sizes[i])) return v;
  const axes = spatialAxes(v.shape.length);
  return b.op('Slice', [v, b.constant(axes.map(() => 0), 'int64'), b.constant(sizes, 'int64'), b.constant(axes, 'int64')]);
}

/**
 * The gradient of a convolution's weight [outC, inC/group, k…] from its input x [N, inC, in…] and
 * the gradient dOut [N, outC, out…] of its output: itself a convolution, of x with dOut as the
 * kernel, batch and channel axes swapped, strides and dilations swapped, the same padding; per
 * group, by moving the group into the channel axis and the group's channels into the batch
 * axis. The result has the kernel sizes plus the taps no window reached, cropped off.
 */
function weightGradient(b: GraphBuilder, x: Value, dOut: Value, w: StaticWindow, group: number, weightShape: readonly Dim[]): Value {
  const rank = x.shape.length;
  const [outChannels, groupChannels] = weightShape as [number, number];
  const rest = spatialAxes(rank);
  const swapFirstTwo = [1, 0, ...rest];
  let input: Value;
  let kernel: Value;
  if (group === 1) {
    input = b.op('Transpose', [x], { perm: swapFirstTwo });
    kernel = b.op('Transpose', [dOut], { perm: swapFirstTwo });
  } else {
    // x: [N, g·inC/g, in…] → [inC/g, g·N, in…]; dOut: [N, g·outC/g, out…] → [outC, N, out…]
    const xGroups = b.op('Reshape', [x, b.constant([0, group, groupChannels, ...x.shape.slice(2) as number[]], 'int64')]);
    input = b.op('Reshape', [b.op('Transpose', [xGroups], { perm: [2, 1, 0, ...rest.map((a) => a + 1)] }), b.constant([groupChannels, -1, ...x.shape.slice(2) as number[]], 'int64')]);
    const dGroups = b.op('Reshape', [dOut, b.constant([0, group, outChannels / group, ...dOut.shape.slice(2) as number[]], 'int64')]);
    kernel = b.op('Reshape', [b.op('Transpose', [dGroups], { perm: [1, 2, 0, ...rest.map((a) => a + 1)] }), b.constant([outChannels, -1, ...dOut.shape.slice(2) as number[]], 'int64')]);
  }
  const swapped = b.op('Conv', [input, kernel], { strides: w.dilations, dilations: w.strides, pads: [...w.begin, ...w.end], group });
  return cropSpatial(b, b.op('Transpose', [swapped], { perm: swapFirstTwo }), w.kernel);
}

const biasGradient = (b: GraphBuilder, dy: Value, bias: Value | null | undefined): Value | null =>
  bias ? b.op('ReduceSum', [dy, b.constant([0, ...spatialAxes(dy.shape.length)], 'int64')], { keepdims: 0 }) : null;

/**
 * Conv: X [N, C, in…], W [M, C/group, k…], optional B [M] → [N, M, out…]. The gradient of X is
 * the transposed convolution of dY with the same W, strides, dilations, groups and pads, plus as
 * output_padding the trailing inputs no window reached, so that it has X's size exactly.
 */
export const Conv: OpDef<typeof convAttrs> = {
  attrs: convAttrs,
  infer: (inputs, attrs, node) => {
    const x = spatialInput(inputs, 0, node);
    const w = arg(inputs, 1, node);
    const a = readAttrs(convAttrs, attrs);
    const kernel = kernelOf(w, x.shape.length, a.kernel_shape, node);
    const [outChannels, groupChannels] = w.shape as [Dim, Dim];
    checkGroup(a.group, outChannels, node);
    const inChannels = x.shape[1]!;
    if (typeof inChannels === 'number' && typeof groupChannels === 'number' && inChannels !== groupChannels * a.group) {
      throw new Error(`node ${node}: input ${formatShape(x.shape)} has ${inChannels} channels, the weight ${formatShape(w.shape)} with group ${a.group} takes ${groupChannels * a.group}`);
    }
    const dtype = sameDType([x, w, ...checkBias(inputs, outChannels, node)], node);
    return [{ dtype, shape: [x.shape[0]!, outChannels, ...slideWindow(x.shape.slice(2), kernel, a, node).out] }];
  },
  vjp: ([dy], { inputs: [x, w, bias], attrs, name }, b) => {
    const a = readAttrs(convAttrs, attrs);
    const sizes = x!.shape.slice(2);
    const win = staticWindow(slideWindow(sizes, kernelOf(w!, x!.shape.length, a.kernel_shape, name), a, name), sizes, 'Conv', name);
    const dx = b.op('ConvTranspose', [dy!, w!], {
      strides: win.strides,
      dilations: win.dilations,
      group: a.group,
      pads: [...win.begin, ...win.end],
      output_padding: leftover(win),
    });
    return [dx, weightGradient(b, x!, dy!, win, a.group, w!.shape), biasGradient(b, dy!, bias)];
  },
};

/** The window of a transposed convolution: output size and padding from pads, output_shape or auto_pad. */
interface TransposeWindow extends Window {
  readonly outputPadding: readonly number[];
}

/**
 * ConvTranspose's geometry per the ONNX spec: out = stride·(in − 1) + output_padding + window −
 * pads, where an output_shape or a SAME auto_pad (out = in·stride) fixes the output and the pads
 * follow: the odd unit at the start, except for SAME_UPPER which puts it at the end.
 */
function transposeWindow(sizes: readonly Dim[], kernel: readonly number[], attrs: ResolvedAttrs<typeof convTransposeAttrs>, node: string): TransposeWindow {
  const n = kernel.length;
  const { strides, dilations, pads } = windowSteps(n, attrs, node);
  const outputPadding = perAxis('output_padding', attrs.output_padding, n, 0, 0, node);
  const same = attrs.auto_pad === 'SAME_UPPER' || attrs.auto_pad === 'SAME_LOWER';
  const target = attrs.output_shape ? perAxis('output_shape', attrs.output_shape, n, 1, 1, node) : undefined;
  const begin: (number | undefined)[] = [];
  const end: (number | undefined)[] = [];
  const out = sizes.map((size, i): Dim => {
    const full = typeof size === 'number' ? strides[i]! * (size - 1) + outputPadding[i]! + dilated(kernel[i]!, dilations[i]!) : undefined;
    if (!target && !same) {
      const [b, e] = attrs.auto_pad === 'VALID' ? [0, 0] : [pads[i]!, pads[i + n]!];
      begin.push(b);
      end.push(e);
      if (full === undefined) return '?';
      if (full - b - e < 1) throw new Error(`node ${node}: pads ${b} + ${e} leave no output along spatial axis ${i} (full size ${full})`);
      return full - b - e;
    }
    const outSize = target ? target[i]! : typeof size === 'number' ? size * strides[i]! : '?';
    if (full === undefined || typeof outSize !== 'number') {
      begin.push(undefined);
      end.push(undefined);
      return outSize;
    }
    const total = full - outSize;
    if (total < 0) throw new Error(`node ${node}: output size ${outSize} along spatial axis ${i} exceeds the full transposed convolution (${full})`);
    const half = Math.floor(total / 2);
    begin.push(attrs.auto_pad === 'SAME_UPPER' ? half : total - half);
    end.push(attrs.auto_pad === 'SAME_UPPER' ? total - half : half);
    return outSize;
  });
  return { kernel, strides, dilations, begin, end, out, outputPadding };
}

/**
 * ConvTranspose: X [N, C, in…], W [C, M/group, k…], optional B [M] → [N, M, out…], the adjoint
 * of Conv. Its gradients: dX is the Conv of dY with the same W and window (X's size exactly, as
 * onnxruntime requires output_padding < stride); dW is Conv's weight gradient with the roles of
 * input and output gradient exchanged.
 */
export const ConvTranspose: OpDef<typeof convTransposeAttrs> = {
  attrs: convTransposeAttrs,
  infer: (inputs, attrs, node) => {
    const x = spatialInput(inputs, 0, node);
    const w = arg(inputs, 1, node);
    const a = readAttrs(convTransposeAttrs, attrs);
    const kernel = kernelOf(w, x.shape.length, a.kernel_shape, node);
    const [inChannels, groupChannels] = w.shape as [Dim, Dim];
    checkGroup(a.group, inChannels, node);
    if (typeof x.shape[1] === 'number' && typeof inChannels === 'number' && x.shape[1] !== inChannels) {
      throw new Error(`node ${node}: input ${formatShape(x.shape)} has ${x.shape[1]} channels, the weight ${formatShape(w.shape)} takes ${inChannels}`);
    }
    const outChannels = times(groupChannels, a.group);
    const dtype = sameDType([x, w, ...checkBias(inputs, outChannels, node)], node);
    return [{ dtype, shape: [x.shape[0]!, outChannels, ...transposeWindow(x.shape.slice(2), kernel, a, node).out] }];
  },
  vjp: ([dy], { inputs: [x, w, bias], attrs, name }, b) => {
    const a = readAttrs(convTransposeAttrs, attrs);
    const sizes = x!.shape.slice(2);
    const win = staticWindow(transposeWindow(sizes, kernelOf(w!, x!.shape.length, a.kernel_shape, name), a, name), sizes, 'ConvTranspose', name);
    const dx = b.op('Conv', [dy!, w!], { strides: win.strides, dilations: win.dilations, group: a.group, pads: [...win.begin, ...win.end] });
    return [dx, weightGradient(b, dy!, x!, win, a.group, w!.shape), biasGradient(b, dy!, bias)];
  },
};
