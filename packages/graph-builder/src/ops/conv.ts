import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Dim, type Value } from '../ir/types.js';
import { convInputGradient, convWeightGradient } from './conv-grad.js';
import { arg, sameDType } from './rules.js';
import { dilated, perAxis, slideWindow, spatialInput, staticWindow, windowSteps, type Window } from './spatial.js';
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

const biasGradient = (b: GraphBuilder, dy: Value, bias: Value | null | undefined): Value | null =>
  bias ? b.op('ReduceSum', [dy, b.constant([0, ...spatialAxes(dy.shape.length)], 'int64')], { keepdims: 0 }) : null;

/** Conv: X [N, C, in…], W [M, C/group, k…], optional B [M] → [N, M, out…]; its gradients in conv-grad.ts. */
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
    return [convInputGradient(b, dy!, w!, win, a.group), convWeightGradient(b, x!, dy!, win, a.group, w!.shape), biasGradient(b, dy!, bias)];
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
    return [dx, convWeightGradient(b, dy!, x!, win, a.group, w!.shape), biasGradient(b, dy!, bias)];
  },
};
