import { floatInput, normalizeAxis } from './rules.js';
import { unbroadcast } from './grad.js';
import { readAttrs, type OpDef, type Signature } from './types.js';
import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Dim, type Value } from '../ir/types.js';
import { dtypeFromOnnx } from '../onnx/dtypes.js';

const batchNormAttrs = {
  epsilon: { type: 'float', default: 1e-5 },
  momentum: { type: 'float', default: 0.9 },
  training_mode: { type: 'int', default: 0 },
} as const;
const layerNormAttrs = {
  axis: { type: 'int', default: -1 },
  epsilon: { type: 'float', default: 1e-5 },
  stash_type: { type: 'int', default: 1 },
} as const;
const instanceNormAttrs = { epsilon: { type: 'float', default: 1e-5 } } as const;

const int64 = (b: GraphBuilder, values: readonly number[]) => b.constant(values, 'int64');
const range = (from: number, to: number) => Array.from({ length: Math.max(to - from, 0) }, (_, i) => from + i);

/** mean(v) over `axes`, kept as 1s. */
const meanOver = (b: GraphBuilder, v: Value, axes: readonly number[]) => b.op('ReduceMean', [v, int64(b, axes)], { keepdims: 1 });
const sumOver = (b: GraphBuilder, v: Value, axes: readonly number[]) => b.op('ReduceSum', [v, int64(b, axes)], { keepdims: 0 });

/** The mean and 1/√(variance + ε) of `x` over `axes` (population variance), kept as 1s. */
function moments(b: GraphBuilder, x: Value, axes: readonly number[], epsilon: number): { mean: Value; invStd: Value } {
  const mean = meanOver(b, x, axes);
  const centred = b.op('Sub', [x, mean]);
  const variance = meanOver(b, b.op('Mul', [centred, centred]), axes);
  return { mean, invStd: invSqrt(b, variance, epsilon) };
}

// epsilon is a FLOAT attribute: the forward pass adds its float32 rounding.
const invSqrt = (b: GraphBuilder, variance: Value, epsilon: number) =>
  b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, b.constant(Math.fround(epsilon), variance.dtype)])])]);

/**
 * The gradient of x ↦ x̂ = (x − mean(x))·invStd over `axes`, given g = ∂loss/∂x̂:
 * invStd · (g − mean(g) − x̂ · mean(g · x̂)).
 */
function normalizedGrad(b: GraphBuilder, g: Value, xhat: Value, invStd: Value, axes: readonly number[]): Value {
  const centred = b.op('Sub', [g, meanOver(b, g, axes)]);
  const projected = b.op('Mul', [xhat, meanOver(b, b.op('Mul', [g, xhat]), axes)]);
  return b.op('Mul', [invStd, b.op('Sub', [centred, projected])]);
}

/** A per-channel [C] vector shaped [C, 1, …] to broadcast along axis 1 of a rank-`rank` tensor. */
const perChannel = (b: GraphBuilder, v: Value, rank: number) => (rank > 2 ? b.op('Unsqueeze', [v, int64(b, range(1, rank - 1))]) : v);

/** Checks that each of `inputs[from…]` is a float vector of length `channels`. */
function channelVectors(inputs: readonly (Value | null)[], from: number, names: readonly string[], channels: Dim, node: string): Value[] {
  return names.map((name, k) => {
    const v = floatInput(inputs, from + k, node);
    const fits = v.shape.length === 1 && (v.shape[0] === channels || typeof v.shape[0] !== 'number' || typeof channels !== 'number');
    if (!fits) throw new Error(`node ${node}: ${name} must have shape [${channels}] (one value per channel), got ${formatShape(v.shape)}`);
    return v;
  });
}

function channelInput(inputs: readonly (Value | null)[], minRank: number, op: string, node: string): Value {
  const x = floatInput(inputs, 0, node);
  if (x.shape.length < minRank) throw new Error(`node ${node}: ${op} needs an input of rank ${minRank} or more (channels on axis 1), got ${formatShape(x.shape)}`);
  return x;
}

/**
 * ONNX BatchNormalization (opset 15 form), channels on axis 1. training_mode 0: Y from the
 * given statistics; the gradient reaches X, scale, B and the statistics. training_mode 1:
 * Y from the batch's statistics, and the running mean and variance as outputs 2 and 3.
 */
export const BatchNormalization: OpDef<typeof batchNormAttrs> = {
  attrs: batchNormAttrs,
  infer: (inputs, attrs, node) => {
    const x = channelInput(inputs, 2, 'BatchNormalization', node);
    const [, , mean, variance] = channelVectors(inputs, 1, ['scale', 'B', 'input_mean', 'input_var'], x.shape[1]!, node);
    const y: Signature = { dtype: x.dtype, shape: x.shape };
    if (!readAttrs(batchNormAttrs, attrs).training_mode) return [y];
    return [y, { dtype: mean!.dtype, shape: mean!.shape }, { dtype: variance!.dtype, shape: variance!.shape }];
  },
  vjp: ([dy, dRunningMean, dRunningVar], { inputs: [x, scale, , mean, variance], attrs, name }, b) => {
    const { epsilon, training_mode } = readAttrs(batchNormAttrs, attrs);
    const rank = x!.shape.length;
    const axes = [0, ...range(2, rank)];
    const channel = (v: Value) => perChannel(b, v, rank);
    if (dRunningMean || dRunningVar) throw new Error(`no gradient rule for op BatchNormalization through its running_mean/running_var outputs (node ${name})`);
    const dBias = sumOver(b, dy!, axes);
    if (training_mode) {
      const batch = moments(b, x!, axes, epsilon);
      const xhat = b.op('Mul', [b.op('Sub', [x!, batch.mean]), batch.invStd]);
      const dx = normalizedGrad(b, b.op('Mul', [dy!, channel(scale!)]), xhat, batch.invStd, axes);
      return [dx, sumOver(b, b.op('Mul', [dy!, xhat]), axes), dBias, null, null];
    }
    const invStd = invSqrt(b, variance!, epsilon);
    const xhat = b.op('Mul', [b.op('Sub', [x!, channel(mean!)]), channel(invStd)]);
    const dScale = sumOver(b, b.op('Mul', [dy!, xhat]), axes);
    const gain = b.op('Mul', [scale!, invStd]);
    const dx = b.op('Mul', [dy!, channel(gain)]);
    // y = (x − mean)·gain + B: ∂/∂mean = −gain·Σdy; ∂/∂var = −½·scale·invStd³·Σdy(x − mean) = −½·gain·invStd·dScale.
    const dMean = b.op('Neg', [b.op('Mul', [dBias, gain])]);
    const dVar = b.op('Mul', [b.op('Mul', [dScale, b.op('Mul', [gain, invStd])]), b.constant(-0.5, invStd.dtype)]);
    return [dx, dScale, dBias, dMean, dVar];
  },
};

/** The axes LayerNormalization normalizes over: `axis` (negative counts from the end) to the last. */
function layerNormAxes(axis: number, rank: number, node: string): number[] {
  return range(normalizeAxis(axis, rank, node), rank);
}

/**
 * ONNX LayerNormalization (opset 17): normalizes over axes [axis, rank), then Scale and the
 * optional B (broadcast to those axes). Optional outputs Mean and InvStdDev (the stash type,
 * float32) keep the normalized axes as 1s.
 */
export const LayerNormalization: OpDef<typeof layerNormAttrs> = {
  attrs: layerNormAttrs,
  infer: (inputs, attrs, node) => {
    const x = floatInput(inputs, 0, node);
    const { axis, stash_type } = readAttrs(layerNormAttrs, attrs);
    const axes = layerNormAxes(axis, x.shape.length, node);
    const normalized = x.shape.slice(axes[0]);
    const affine = [floatInput(inputs, 1, node), ...(inputs[2] ? [floatInput(inputs, 2, node)] : [])];
    affine.forEach((v, i) => {
      const target = normalized.slice(normalized.length - v.shape.length);
      if (v.shape.length > normalized.length || !v.shape.every((d, k) => d === 1 || d === target[k])) {
        throw new Error(`node ${node}: ${['Scale', 'B'][i]} ${formatShape(v.shape)} does not broadcast to the normalized shape ${formatShape(normalized)}`);
      }
    });
    const stats: Signature = { dtype: dtypeFromOnnx(stash_type), shape: x.shape.map((d, i) => (i < axes[0]! ? d : 1)) };
    return [{ dtype: x.dtype, shape: x.shape }, stats, stats];
  },
  vjp: ([dy, dMean, dInvStd], { inputs: [x, scale, bias], outputs: [, meanOut, invStdOut], attrs, name }, b) => {
    if (dMean || dInvStd) throw new Error(`no gradient rule for op LayerNormalization through its Mean/InvStdDev outputs (node ${name})`);
    const { axis, epsilon } = readAttrs(layerNormAttrs, attrs);
    const axes = layerNormAxes(axis, x!.shape.length, name);
    // The node's own statistics when it has them in x's dtype; else (float64 x, float32 stash) recomputed.
    const stashed = meanOut && invStdOut && meanOut.dtype === x!.dtype;
    const { mean, invStd } = stashed ? { mean: meanOut, invStd: invStdOut } : moments(b, x!, axes, epsilon);
    const xhat = b.op('Mul', [b.op('Sub', [x!, mean]), invStd]);
    const dx = normalizedGrad(b, b.op('Mul', [dy!, scale!]), xhat, invStd, axes);
    return [dx, unbroadcast(b, b.op('Mul', [dy!, xhat]), scale!), bias ? unbroadcast(b, dy!, bias) : null];
  },
};

/** ONNX InstanceNormalization: each (item, channel) normalized over the spatial axes, then per-channel scale and B. */
export const InstanceNormalization: OpDef<typeof instanceNormAttrs> = {
  attrs: instanceNormAttrs,
  infer: (inputs, _attrs, node) => {
    const x = channelInput(inputs, 3, 'InstanceNormalization', node);
    channelVectors(inputs, 1, ['scale', 'B'], x.shape[1]!, node);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  vjp: ([dy], { inputs: [x, scale], attrs }, b) => {
    const rank = x!.shape.length;
    const spatial = range(2, rank);
    const { mean, invStd } = moments(b, x!, spatial, readAttrs(instanceNormAttrs, attrs).epsilon);
    const xhat = b.op('Mul', [b.op('Sub', [x!, mean]), invStd]);
    const dx = normalizedGrad(b, b.op('Mul', [dy!, perChannel(b, scale!, rank)]), xhat, invStd, spatial);
    return [dx, sumOver(b, b.op('Mul', [dy!, xhat]), [0, ...spatial]), sumOver(b, dy!, [0, ...spatial])];
  },
};
