import { formatShape, type Dim, type Value } from '../ir/types.js';
import { activationNames, activations, isActivationName } from './activations.js';
import { checkFloat, checkName, checkPositiveInteger, checkTensor, describe, where as at } from './checks.js';
import { validateInitializer } from './initializers.js';
import type { Channels, ConvOptions, NameOption, Padding, PoolOptions } from './options.js';
import { layer, type LayoutPolicy, type SymbolicTensor } from './symbolic.js';
import { elementCount } from '../ir/element-count.js';

/** The geometry of a convolution or pooling window over the spatial dimensions. */
interface Window {
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  /** ONNX order: every dimension's start, then every dimension's end. */
  readonly pads: number[];
  /** The output's spatial sizes. */
  readonly out: number[];
}

/** A channels-last or channels-first tensor of 1 to 3 spatial dimensions, split into its parts. */
interface Spatial {
  readonly channelsLast: boolean;
  readonly sizes: number[];
  readonly channels: number;
  readonly layout: LayoutPolicy;
}

function spatial(x: SymbolicTensor, channels: Channels | undefined, where: string): Spatial {
  const mode = channels ?? 'last';
  if (mode !== 'last' && mode !== 'first') throw new Error(`${where}: channels must be 'last' or 'first', got ${JSON.stringify(channels)}`);
  checkFloat(x, where);
  const rank = x.shape.length;
  if (rank < 3 || rank > 5) {
    throw new Error(`${where}: expected an input of rank 3 to 5 ([batch, …spatial, channels]${mode === 'first' ? ' with channels first' : ''}), got ${describe(x)}`);
  }
  const channelsLast = mode === 'last';
  const dims = channelsLast ? x.shape.slice(1, -1) : x.shape.slice(2);
  const channelDim = channelsLast ? x.shape[rank - 1] : x.shape[1];
  if (![...dims, channelDim].every((d) => typeof d === 'number')) {
    throw new Error(`${where}: the spatial and channel dimensions must be fixed, got ${describe(x)}`);
  }
  return { channelsLast, sizes: dims as number[], channels: channelDim as number, layout: channelsLast ? 'channels-first' : 'logical' };
}

function perDimension(value: number | readonly number[] | undefined, fallback: number | readonly number[], n: number, what: string, where: string): number[] {
  const v = value ?? fallback;
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (list.length !== n || !list.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${where}: ${what} must be a positive integer or ${n} of them (one per spatial dimension), got ${JSON.stringify(value)}`);
  }
  return list;
}

function window(s: Spatial, options: { kernelSize: unknown; strides?: unknown; dilation?: unknown; padding?: unknown }, stridesDefault: 'one' | 'kernel', where: string): Window {
  const n = s.sizes.length;
  const kernel = perDimension(options.kernelSize as number, NaN, n, 'kernelSize', where);
  const strides = perDimension(options.strides as number | undefined, stridesDefault === 'one' ? 1 : kernel, n, 'strides', where);
  const dilations = perDimension(options.dilation as number | undefined, 1, n, 'dilation', where);
  const span = kernel.map((k, i) => dilations[i]! * (k - 1) + 1);
  const padding = (options.padding ?? 'valid') as Padding;
  let begin: number[];
  let end: number[];
  if (padding === 'valid') {
    begin = end = new Array<number>(n).fill(0);
  } else if (padding === 'same') {
    const total = s.sizes.map((size, i) => Math.max((Math.ceil(size / strides[i]!) - 1) * strides[i]! + span[i]! - size, 0));
    begin = total.map((t) => Math.floor(t / 2));
    end = total.map((t, i) => t - begin[i]!);
  } else if (Array.isArray(padding) && padding.length === n && padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((d) => Number.isInteger(d) && d >= 0))) {
    begin = padding.map((p) => p[0]!);
    end = padding.map((p) => p[1]!);
  } else {
    throw new Error(`${where}: padding must be 'valid', 'same' or ${n} pairs [before, after] of non-negative integers, got ${JSON.stringify(options.padding)}`);
  }
  const out = s.sizes.map((size, i) => Math.floor((size + begin[i]! + end[i]! - span[i]!) / strides[i]!) + 1);
  if (out.some((o) => o < 1)) {
    throw new Error(`${where}: a window of ${kernel.join('x')} (dilation ${dilations.join('x')}) does not fit the input's ${s.sizes.join('x')} with padding ${JSON.stringify(padding)}`);
  }
  return { kernel, strides, dilations, pads: [...begin, ...end], out };
}

/** The logical output shape: batch, the new spatial sizes and the channels, in the input's order. */
function outputShape(x: SymbolicTensor, s: Spatial, out: readonly number[], channels: number): Dim[] {
  return s.channelsLast ? [x.shape[0]!, ...out, channels] : [x.shape[0]!, channels, ...out];
}

export function conv(x: SymbolicTensor, filters: number, options: ConvOptions): SymbolicTensor {
  const where = at('conv', options?.name);
  checkTensor(x, where);
  if (typeof options !== 'object' || options === null) throw new Error(`${where}: options with at least kernelSize are required, e.g. conv(x, 32, { kernelSize: 3 })`);
  const name = checkName(options.name, where);
  checkPositiveInteger(filters, 'filters', where);
  const s = spatial(x, options.channels, where);
  const w = window(s, options, 'one', where);
  const groups = checkPositiveInteger(options.groups ?? 1, 'groups', where);
  if (s.channels % groups !== 0 || filters % groups !== 0) {
    throw new Error(`${where}: groups ${groups} must divide both the input channels (${s.channels}) and filters (${filters})`);
  }
  const act = options.activation ?? 'linear';
  if (!isActivationName(act)) throw new Error(`${where}: unknown activation ${JSON.stringify(act)}; expected one of ${activationNames.join(', ')}`);
  if (act === 'softmax' || act === 'log_softmax') throw new Error(`${where}: activation '${act}' is not applied inside conv; add .activation('${act}') after it`);
  const useBias = options.useBias ?? true;
  const receptive = elementCount(w.kernel);
  const kernel = {
    shape: [filters, s.channels / groups, ...w.kernel],
    initializer: validateInitializer(options.kernelInitializer ?? 'glorot_uniform', `${where} kernel`),
    fans: [(s.channels / groups) * receptive, (filters / groups) * receptive] as const,
  };
  const bias = { shape: [filters], initializer: validateInitializer(options.biasInitializer ?? 'zeros', `${where} bias`) };
  const attrs = { kernel_shape: w.kernel, strides: w.strides, pads: w.pads, dilations: w.dilations, group: groups };
  return layer(
    {
      kind: 'conv',
      name,
      inputs: [x],
      params: useBias ? { kernel, bias } : { kernel },
      info: `${filters} filters ${w.kernel.join('x')}${w.strides.some((d) => d > 1) ? `, strides ${w.strides.join('x')}` : ''}${act === 'linear' ? '' : `, ${act}`}`,
      layout: s.layout,
      lower: ({ b }, [v], p) => activations[act](b, b.op('Conv', useBias ? [v!, p.kernel!, p.bias!] : [v!, p.kernel!], attrs)),
    },
    outputShape(x, s, w.out, filters),
    x.dtype,
  );
}

function pool(kind: 'maxPool' | 'avgPool', op: 'MaxPool' | 'AveragePool') {
  return (x: SymbolicTensor, options: PoolOptions): SymbolicTensor => {
    const where = at(kind, options?.name);
    checkTensor(x, where);
    if (typeof options !== 'object' || options === null) throw new Error(`${where}: options with at least kernelSize are required, e.g. ${kind}(x, { kernelSize: 2 })`);
    const name = checkName(options.name, where);
    const s = spatial(x, options.channels, where);
    const w = window(s, options, 'kernel', where);
    const attrs = { kernel_shape: w.kernel, strides: w.strides, pads: w.pads };
    return layer(
      {
        kind,
        name,
        inputs: [x],
        params: {},
        info: `${w.kernel.join('x')}${w.strides.join('x') === w.kernel.join('x') ? '' : `, strides ${w.strides.join('x')}`}`,
        layout: s.layout,
        lower: ({ b }, [v]) => b.op(op, [v!], attrs),
      },
      outputShape(x, s, w.out, s.channels),
      x.dtype,
    );
  };
}

export const maxPool = pool('maxPool', 'MaxPool');
export const avgPool = pool('avgPool', 'AveragePool');

function globalPool(kind: 'globalAvgPool' | 'globalMaxPool', op: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return (x: SymbolicTensor, options: Pick<PoolOptions, 'channels' | 'name'> = {}): SymbolicTensor => {
    const where = at(kind, options.name);
    checkTensor(x, where);
    const s = spatial(x, options.channels, where);
    return layer(
      {
        kind,
        name: checkName(options.name, where),
        inputs: [x],
        params: {},
        info: '',
        layout: s.layout,
        // [batch, channels, 1, …] → [batch, channels]
        lower: ({ b }, [v]) => b.op('Reshape', [b.op(op, [v!]), b.constant([0, -1], 'int64')]),
      },
      [x.shape[0]!, s.channels],
      x.dtype,
    );
  };
}

export const globalAvgPool = globalPool('globalAvgPool', 'GlobalAveragePool');
export const globalMaxPool = globalPool('globalMaxPool', 'GlobalMaxPool');

function reshapeLayer(kind: string, x: SymbolicTensor, target: readonly number[], name: string | undefined, info: string): SymbolicTensor {
  return layer(
    { kind, name, inputs: [x], params: {}, info, lower: ({ b }, [v]) => b.op('Reshape', [v!, b.constant([0, ...target], 'int64')]) as Value },
    [x.shape[0]!, ...target],
    x.dtype,
  );
}

/** Every dimension but the batch into one: `[batch, h, w, c]` → `[batch, h·w·c]`, in the logical (channels-last) order. */
export function flatten(x: SymbolicTensor, options: NameOption = {}): SymbolicTensor {
  const where = at('flatten', options.name);
  checkTensor(x, where);
  const rest = x.shape.slice(1);
  if (x.shape.length < 2 || !rest.every((d) => typeof d === 'number')) throw new Error(`${where}: expected [batch, …fixed dimensions], got ${describe(x)}`);
  return reshapeLayer('flatten', x, [elementCount(rest as number[])], checkName(options.name, where), '');
}

/** A new shape for every example; the batch dimension is kept. One dimension may be -1 (inferred). */
export function reshape(x: SymbolicTensor, shape: readonly number[], options: NameOption = {}): SymbolicTensor {
  const where = at('reshape', options.name);
  checkTensor(x, where);
  const rest = x.shape.slice(1);
  if (!rest.every((d) => typeof d === 'number')) throw new Error(`${where}: expected [batch, …fixed dimensions], got ${describe(x)}`);
  const size = elementCount(rest as number[]);
  const valid = Array.isArray(shape) && shape.length > 0 && shape.every((d) => d === -1 || (Number.isInteger(d) && d > 0)) && shape.filter((d) => d === -1).length <= 1;
  if (!valid) throw new Error(`${where}: shape must be positive integers (one may be -1), without the batch dimension, got ${JSON.stringify(shape)}`);
  const known = shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
  const target = shape.map((d) => (d === -1 ? size / known : d));
  if (elementCount(target) !== size || !target.every(Number.isInteger)) {
    throw new Error(`${where}: cannot reshape ${describe(x)} (${size} values per example) to ${formatShape(['batch', ...shape])}`);
  }
  return reshapeLayer('reshape', x, target, checkName(options.name, where), formatShape(target));
}
