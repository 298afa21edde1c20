import type { GraphBuilder } from '../ir/builder.js';
import type { Dim, Value } from '../ir/types.js';
import { dilated, leftover, type StaticWindow } from './spatial.js';
import { elementCount } from '../ir/element-count.js';

const spatialAxes = (rank: number): number[] => Array.from({ length: rank - 2 }, (_, i) => i + 2);
const staticSpatial = (v: Value): number[] => v.shape.slice(2) as number[];

/**
 * The gradient of a convolution's weight [outC, inC/group, k…] from its input x [N, inC, in…]
 * and the gradient dOut [N, outC, out…] of its output (the window `w` maps x to dOut's size).
 * Two formulations compute it exactly; `byPatches` picks the faster by static shape.
 */
export function convWeightGradient(b: GraphBuilder, x: Value, dOut: Value, w: StaticWindow, group: number, weightShape: readonly Dim[]): Value {
  return byPatches(dOut, w, group, weightShape) ? patchWeightGradient(b, x, dOut, w, group, weightShape) : swappedWeightGradient(b, x, dOut, w, group, weightShape);
}

/** The most patch elements per batch item the patch formulation materialises (4 MiB in float32); larger layers use the swapped convolution. */
const PATCH_BUDGET = 2 ** 20;

/**
 * Whether to use the patch formulation. On onnxruntime's CPU kernels it runs as one Conv and
 * one batched matrix product, each a single parallel region, where the swapped convolution
 * (output only kernel-sized) runs an im2col and a thin threaded product per channel and stalls
 * with two threads on a busy machine: on the MNIST CNN, about the same work, much faster on two
 * threads when other processes share the cores. Not for depthwise convolutions (the products would be matrix–vector, and the swapped
 * form runs a direct grouped kernel), nor for 3-D ones (the patch Conv would have four spatial
 * axes, which the webgpu provider does not run), nor where the patches, a copy of x per kernel
 * tap, would take too much memory.
 */
function byPatches(dOut: Value, w: StaticWindow, group: number, weightShape: readonly Dim[]): boolean {
  const [outChannels, groupChannels] = weightShape as [number, number];
  const depthwise = groupChannels === 1 && outChannels === group;
  return !depthwise && w.kernel.length <= 2 && groupChannels * group * elementCount(w.kernel) * elementCount(staticSpatial(dOut)) <= PATCH_BUDGET;
}

/**
 * im2col: the patches P [N, g, taps·inC/g, L] of x (L output positions, rows tap-major) against
 * dOut [N, g, outC/g, L]: per batch item and group a matrix product over the L positions, a sum
 * over the batch, and the weight-sized result reordered. The smaller of the two operands is the
 * one transposed for the product (onnxruntime fuses that transpose into it).
 *
 * The patches come from one Conv of x seen as [N, 1, C, in…] (its channels a leading spatial
 * axis, kernel size 1 along it) with a one-hot kernel [taps, 1, 1, k…] and the forward window on
 * the other axes: output channel t lists tap t of every window, [N, taps, C, out…]. (A Conv
 * with group = C and a [C·taps, 1, k…] kernel would list them channel-major, but the webgpu
 * provider computes some of those grouped convolutions wrong.)
 */
function patchWeightGradient(b: GraphBuilder, x: Value, dOut: Value, w: StaticWindow, group: number, weightShape: readonly Dim[]): Value {
  const [outChannels, groupChannels] = weightShape as [number, number];
  const [channels, groupOut] = [groupChannels * group, outChannels / group];
  const taps = elementCount(w.kernel);
  const positions = elementCount(staticSpatial(dOut));
  const i64 = (values: readonly number[]) => b.constant(values, 'int64');
  const oneHot = b.constant(Array.from({ length: taps * taps }, (_, i) => (i % (taps + 1) === 0 ? 1 : 0)), x.dtype, [taps, 1, 1, ...w.kernel]);
  const stacked = b.op('Reshape', [x, i64([0, 1, channels, ...staticSpatial(x)])]);
  const window = { strides: [1, ...w.strides], dilations: [1, ...w.dilations], pads: [0, ...w.begin, 0, ...w.end] };
  let patches = b.op('Reshape', [b.op('Conv', [stacked, oneHot], window), i64([0, taps, group, groupChannels * positions])]);
  if (group > 1) patches = b.op('Transpose', [patches], { perm: [0, 2, 1, 3] });
  const p = b.op('Reshape', [patches, i64([0, group, taps * groupChannels, positions])]);
  const d = b.op('Reshape', [dOut, i64([0, group, groupOut, positions])]);
  const swapLast = (v: Value) => b.op('Transpose', [v], { perm: [0, 1, 3, 2] });
  const sumOverBatch = (v: Value) => b.op('ReduceSum', [v, i64([0])], { keepdims: 0 });
  const transposeDOut = outChannels <= channels * taps;
  const [summed, split, perm] = transposeDOut
    ? [sumOverBatch(b.op('MatMul', [p, swapLast(d)])), [group, taps, groupChannels, groupOut], [0, 3, 2, 1]]
    : [sumOverBatch(b.op('MatMul', [d, swapLast(p)])), [group, groupOut, taps, groupChannels], [0, 1, 3, 2]];
  // [g, taps, C/g, M/g] or [g, M/g, taps, C/g] → [g, M/g, C/g, taps]
  const ordered = b.op('Transpose', [b.op('Reshape', [summed, i64(split)])], { perm });
  return b.op('Reshape', [ordered, i64(weightShape as number[])]);
}

/** Slice the spatial axes of `v` down to `sizes` where they are larger (the weight gradient's surplus taps). */
function cropSpatial(b: GraphBuilder, v: Value, sizes: readonly number[]): Value {
  if (v.shape.slice(2).every((d, i) => d === sizes[i])) return v;
  const axes = spatialAxes(v.shape.length);
  return b.op('Slice', [v, b.constant(axes.map(() => 0), 'int64'), b.constant(sizes, 'int64'), b.constant(axes, 'int64')]);
}

/**
 * The weight gradient as one convolution, of x with dOut as the kernel, batch and channel axes
 * swapped, strides and dilations swapped, the same padding; per group, by moving the group
 * into the channel axis and the group's channels into the batch axis. The result has the
 * kernel sizes plus the taps no window reached, cropped off.
 */
function swappedWeightGradient(b: GraphBuilder, x: Value, dOut: Value, w: StaticWindow, group: number, weightShape: readonly Dim[]): Value {
  const rank = x.shape.length;
  const [outChannels, groupChannels] = weightShape as [number, number];
  const rest = spatialAxes(rank);
  // x: [N, g·inC/g, in…] → [inC/g, g·N, in…]; dOut: [N, g·outC/g, out…] → [outC, N, out…]
  const xGroups = b.op('Reshape', [x, b.constant([0, group, groupChannels, ...staticSpatial(x)], 'int64')]);
  const input = b.op('Reshape', [b.op('Transpose', [xGroups], { perm: [2, 1, 0, ...rest.map((a) => a + 1)] }), b.constant([groupChannels, -1, ...staticSpatial(x)], 'int64')]);
  const dGroups = b.op('Reshape', [dOut, b.constant([0, group, outChannels / group, ...staticSpatial(dOut)], 'int64')]);
  const kernel = b.op('Reshape', [b.op('Transpose', [dGroups], { perm: [1, 2, 0, ...rest.map((a) => a + 1)] }), b.constant([outChannels, -1, ...staticSpatial(dOut)], 'int64')]);
  const swapped = b.op('Conv', [input, kernel], { strides: w.dilations, dilations: w.strides, pads: [...w.begin, ...w.end], group });
  return cropSpatial(b, b.op('Transpose', [swapped], { perm: [1, 0, ...rest] }), w.kernel);
}

/**
 * Input channels per group from which the Conv form of the input gradient is used: its matrix
 * product has one row per input channel, and with fewer it costs more work than the
 * ConvTranspose (measured: 1 channel, 4× the time; 16, 1.3×; 32, 1.15× on one thread).
 */
const WIDE_ENOUGH = 32;

/**
 * The gradient of a convolution's input x from dY and the weight W [outC, inC/group, k…]. With
 * stride 1 it is itself a convolution of dY, with W's taps reversed along every spatial axis and
 * its input and output channels exchanged per group, the same dilations and the padding
 * (window − 1 − pad) on each side. onnxruntime runs that Conv as one parallel region, a
 * ConvTranspose as a threaded product and a serial col2im per image, which stalls with two
 * threads on a busy machine; so the Conv where its product is wide enough, or depthwise (a
 * direct kernel). Otherwise, the transposed convolution of dY with W (same strides, dilations,
 * groups and pads; as output_padding the trailing inputs no window reached).
 */
export function convInputGradient(b: GraphBuilder, dy: Value, weight: Value, w: StaticWindow, group: number): Value {
  const [outChannels, groupChannels] = weight.shape as [number, number];
  const spans = w.kernel.map((k, i) => dilated(k, w.dilations[i]!));
  const pads = [...w.begin, ...w.end].map((p, i) => spans[i % spans.length]! - 1 - p);
  const depthwise = groupChannels === 1 && outChannels === group;
  if (w.strides.every((s) => s === 1) && pads.every((p) => p >= 0) && (groupChannels >= WIDE_ENOUGH || depthwise)) {
    return b.op('Conv', [dy, flippedKernel(b, weight, w.kernel, group)], { dilations: w.dilations, group, pads });
  }
  return b.op('ConvTranspose', [dy, weight], { strides: w.strides, dilations: w.dilations, group, pads: [...w.begin, ...w.end], output_padding: leftover(w) });
}

/** W [outC, inC/g, k…] → [inC, outC/g, k…], taps reversed: per group the channels exchanged, the spatial taps in reverse order. */
function flippedKernel(b: GraphBuilder, weight: Value, kernel: readonly number[], group: number): Value {
  const [outChannels, groupChannels] = weight.shape as [number, number];
  const taps = elementCount(kernel);
  const grouped = b.op('Reshape', [weight, b.constant([group, outChannels / group, groupChannels, taps], 'int64')]);
  const exchanged = b.op('Reshape', [b.op('Transpose', [grouped], { perm: [0, 2, 1, 3] }), b.constant([groupChannels * group, outChannels / group, taps], 'int64')]);
  // reversing the row-major flattened taps reverses every spatial axis at once
  const reversed = b.op('Gather', [exchanged, b.constant(Array.from({ length: taps }, (_, i) => taps - 1 - i), 'int64')], { axis: 2 });
  return b.op('Reshape', [reversed, b.constant([groupChannels * group, outChannels / group, ...kernel], 'int64')]);
}
