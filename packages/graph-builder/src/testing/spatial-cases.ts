/**
 * The gradient checks of the ops onnxruntime runs in float32 only, each against the float64
 * reference of spatial-reference.ts (see refcheck.ts). Strides that do and do not divide the
 * input, explicit symmetric and asymmetric pads, SAME_UPPER / SAME_LOWER / VALID, dilations,
 * groups (depthwise included), kernel sizes 1, 2, 3, 5 and non-square, batch 1, 1-D, 2-D and
 * 3-D, ceil_mode, both count_include_pad values, and a symbolic batch; and each formulation the
 * rules choose between by shape (spatial.test.ts checks which one each case takes).
 */
import type { Attrs } from '../ir/types.js';
import type { OpName } from '../ops/index.js';
import type { Reference, ReferenceCheckOptions } from './refcheck.js';
import type { RefTensor } from './reference.js';
import { averagePoolRef, convRef, convTransposeRef, globalPoolRef, maxPoolRef, type AutoPad, type ConvTransposeOptions, type PoolOptions } from './spatial-reference.js';

export interface ReferenceCase {
  readonly shapes: readonly (readonly number[])[];
  readonly reference: Reference;
  readonly options: ReferenceCheckOptions;
}

type Ints = readonly number[] | undefined;

/** The reference's options from the ONNX attributes of a case. */
function windowOf(attrs: Attrs): ConvTransposeOptions {
  return {
    autoPad: attrs.auto_pad as AutoPad | undefined,
    strides: attrs.strides as Ints,
    dilations: attrs.dilations as Ints,
    pads: attrs.pads as Ints,
    group: attrs.group as number | undefined,
    outputPadding: attrs.output_padding as Ints,
    outputShape: attrs.output_shape as Ints,
  };
}

const poolOf = (attrs: Attrs): PoolOptions => ({
  ...windowOf(attrs),
  kernel: attrs.kernel_shape as readonly number[],
  ceilMode: attrs.ceil_mode === 1,
  countIncludePad: attrs.count_include_pad === 1,
});

const batched: ReferenceCheckOptions = { symbolicBatch: [0] };

const conv = (shapes: number[][], attrs: Attrs = {}, extra: ReferenceCheckOptions = {}): ReferenceCase => ({
  shapes,
  reference: ([x, w, bias]) => convRef(x!, w!, bias, windowOf(attrs)),
  options: { attrs, ...extra },
});

const convTranspose = (shapes: number[][], attrs: Attrs = {}, extra: ReferenceCheckOptions = {}): ReferenceCase => ({
  shapes,
  reference: ([x, w, bias]) => convTransposeRef(x!, w!, bias, windowOf(attrs)),
  options: { attrs, ...extra },
});

const averagePool = (shape: number[], attrs: Attrs, extra: ReferenceCheckOptions = {}): ReferenceCase[] =>
  [0, 1].map((countIncludePad) => {
    const all = { ...attrs, count_include_pad: countIncludePad };
    return { shapes: [shape], reference: ([x]: readonly RefTensor[]) => averagePoolRef(x!, poolOf(all)), options: { attrs: all, ...extra } };
  });

const maxPool = (shape: number[], attrs: Attrs, extra: ReferenceCheckOptions = {}): ReferenceCase => ({
  shapes: [shape],
  reference: ([x]) => maxPoolRef(x!, poolOf(attrs)).y,
  options: { attrs, ...extra },
});

const globalPool = (kind: 'average' | 'max', shape: number[], extra: ReferenceCheckOptions = {}): ReferenceCase => ({
  shapes: [shape],
  reference: ([x]) => globalPoolRef(x!, kind),
  options: extra,
});

export const referenceCases = {
  Conv: [
    conv([[2, 3, 7, 7], [4, 3, 3, 3], [4]]),
    // stride 2 does not divide 8 + 2 − 3: one input row and column no window reaches
    conv([[2, 3, 8, 8], [4, 3, 3, 3], [4]], { strides: [2, 2], pads: [1, 1, 1, 1] }),
    conv([[1, 4, 8, 7], [4, 2, 3, 2], [4]], { strides: [2, 3], group: 2, pads: [1, 0, 2, 1] }),
    conv([[2, 4, 9, 9], [4, 1, 3, 3]], { group: 4, dilations: [2, 2], pads: [2, 1, 1, 2] }),
    conv([[2, 3, 7, 6], [2, 3, 3, 3], [2]], { strides: [2, 2], auto_pad: 'SAME_UPPER' }),
    conv([[2, 4, 9, 8], [4, 1, 2, 2]], { group: 4, strides: [2, 2], auto_pad: 'SAME_LOWER' }),
    conv([[1, 1, 8, 8], [3, 1, 5, 5], [3]], { pads: [2, 2, 2, 2] }),
    // 1-D: VALID with 2 leftover inputs (the weight gradient's conv reaches 2 taps past the kernel), kernel 1 with a channel multiplier, dilation 3
    conv([[2, 3, 10], [2, 3, 5], [2]], { strides: [3], auto_pad: 'VALID' }),
    conv([[2, 2, 9], [6, 1, 1]], { strides: [4], group: 2 }),
    conv([[1, 2, 11], [3, 2, 3], [3]], { strides: [2], dilations: [3], pads: [2, 1] }),
    conv([[1, 2, 4, 4, 3], [2, 1, 2, 2, 2], [2]], { strides: [2, 1, 2], group: 2, pads: [0, 1, 1, 1, 0, 0] }),
    conv([[3, 4, 7, 7], [6, 2, 3, 3], [6]], { strides: [2, 2], group: 2, pads: [1, 1, 1, 1] }, batched),
    conv([[3, 2, 6, 5], [2, 1, 3, 3]], { group: 2, auto_pad: 'SAME_UPPER' }, batched),
    // more output channels than input channels × taps: the weight gradient transposes the patches, not dY
    conv([[2, 2, 7, 6], [9, 2, 1, 2], [9]], { strides: [2, 1], dilations: [1, 2], pads: [0, 1, 1, 0] }),
    // ≥ 32 input channels per group at stride 1: dX is a Conv with the flipped kernel (asymmetric pads, dilations, groups, SAME_LOWER, 1-D, 3-D)
    conv([[1, 32, 4, 5], [2, 32, 3, 2], [2]], { pads: [1, 0, 2, 1], dilations: [1, 2] }),
    conv([[1, 64, 4, 4], [2, 32, 3, 3]], { group: 2, auto_pad: 'SAME_LOWER' }),
    conv([[2, 32, 9], [2, 32, 3], [2]], { dilations: [2], pads: [3, 1] }),
    conv([[1, 32, 3, 3, 3], [2, 32, 2, 3, 2]], { pads: [1, 1, 0, 0, 1, 1] }),
    conv([[2, 32, 4, 4], [2, 32, 3, 3], [2]], { auto_pad: 'SAME_UPPER' }, batched),
    // pads wider than the window less one: the flipped-kernel Conv would need negative pads, so dX stays a ConvTranspose
    conv([[1, 32, 4, 4], [2, 32, 3, 3]], { pads: [3, 1, 1, 3] }),
  ],
  ConvTranspose: [
    convTranspose([[2, 3, 4, 4], [3, 2, 3, 3], [2]]),
    convTranspose([[2, 4, 4, 3], [4, 1, 3, 2], [2]], { strides: [2, 3], group: 2, pads: [1, 0, 0, 1], output_padding: [1, 2] }),
    convTranspose([[1, 2, 4], [2, 3, 3]], { strides: [2], auto_pad: 'SAME_UPPER' }),
    convTranspose([[1, 2, 5], [2, 3, 4]], { strides: [2], auto_pad: 'SAME_LOWER' }),
    convTranspose([[1, 2, 4], [2, 3, 3]], { strides: [2], output_shape: [8] }),
    convTranspose([[1, 2, 4], [2, 3, 3], [3]], { strides: [2], dilations: [2], output_padding: [1] }),
    convTranspose([[3, 4, 3, 3], [4, 2, 2, 2], [4]], { strides: [2, 2], group: 2 }, batched),
    // a depthwise ConvTranspose: its weight gradient is the swapped convolution
    convTranspose([[2, 3, 4, 4], [3, 1, 3, 3]], { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] }),
  ],
  AveragePool: [
    ...averagePool([2, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    ...averagePool([1, 2, 6, 7], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 }),
    // ceil_mode: the last window overhangs the input by one
    ...averagePool([1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }),
    ...averagePool([1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
    ...averagePool([1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }),
    ...averagePool([1, 2, 7, 6], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' }),
    ...averagePool([2, 3, 5, 5], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    ...averagePool([1, 2, 5, 5], { kernel_shape: [1, 1], strides: [2, 2] }),
    ...averagePool([2, 2, 9], { kernel_shape: [5], strides: [2], pads: [2, 1] }),
    ...averagePool([3, 2, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }, batched),
  ],
  // No ties: the inputs are distinct random values (finite differences do not hold at tied maxima; spatial.test.ts checks those exactly).
  MaxPool: [
    maxPool([2, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2] }),
    maxPool([2, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    maxPool([1, 2, 6, 6], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    maxPool([1, 2, 7, 6], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 0, 1], ceil_mode: 1 }),
    // ceil_mode: the last window overhangs the input by one
    maxPool([1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }),
    maxPool([1, 2, 7, 7], { kernel_shape: [2, 2], dilations: [2, 2] }),
    maxPool([2, 3, 9], { kernel_shape: [3], strides: [2], auto_pad: 'SAME_UPPER' }),
    maxPool([1, 1, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }),
    maxPool([1, 2, 7, 6], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' }),
    maxPool([2, 2, 8], { kernel_shape: [5], strides: [3], pads: [2, 2] }),
    maxPool([1, 2, 4, 4, 4], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }),
    // made with its Indices output too (the rule does not read it)
    maxPool([2, 2, 6, 5], { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, { outputs: 2 }),
    maxPool([3, 2, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }, batched),
    maxPool([3, 2, 7, 5], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], ceil_mode: 1, strides: [2, 2] }, batched),
    // windows that tile the input (kernel = strides, no padding, sizes divisible): the mask rule, 1-D to 3-D
    maxPool([2, 3, 8], { kernel_shape: [4], strides: [4] }),
    maxPool([1, 2, 6, 6], { kernel_shape: [3, 2], strides: [3, 2] }),
    maxPool([1, 2, 6, 5], { kernel_shape: [2, 1], strides: [2, 1] }),
    maxPool([1, 2, 4, 6], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER', ceil_mode: 1 }),
    maxPool([1, 2, 4, 2, 6], { kernel_shape: [2, 1, 3], strides: [2, 1, 3] }),
  ],
  GlobalAveragePool: [globalPool('average', [2, 3, 4, 5]), globalPool('average', [1, 2, 7]), globalPool('average', [3, 2, 3, 3], batched)],
  GlobalMaxPool: [globalPool('max', [2, 3, 4, 5]), globalPool('max', [1, 2, 7]), globalPool('max', [3, 2, 3, 3], batched)],
} satisfies Partial<Record<OpName, readonly ReferenceCase[]>>;
