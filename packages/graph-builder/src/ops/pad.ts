import { arg, knownDims, normalizeAxis, numbersOnly } from './rules.js';
import { BEFORE_START, padAxis, reshapeLike, reshapeTo, sliceAxis } from './grad.js';
import { readAttrs, type OpDef, type VjpRule } from './types.js';
import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Dim, type Node, type Value } from '../ir/types.js';

const padAttrs = { mode: { type: 'string', default: 'constant' } } as const;
const MODES = ['constant', 'reflect', 'edge', 'wrap'];

interface PadSpec {
  /** The padded axes, normalized (all axes when the node has no axes input). */
  readonly axes: number[];
  /** Elements added before and after along each of `axes` (negative: removed); undefined when known only at run time. */
  readonly pads: { readonly before: number; readonly after: number }[] | undefined;
}

/** The axes and pads of a Pad node (opset 18 form: pads, constant_value and axes as inputs); undefined when its axes are only known at run time. */
function padSpec(inputs: readonly (Value | null)[], attrs: Node['attrs'], node: string): PadSpec | undefined {
  const x = arg(inputs, 0, node);
  const padsIn = arg(inputs, 1, node);
  const { mode } = readAttrs(padAttrs, attrs);
  if (!MODES.includes(mode)) throw new Error(`node ${node}: Pad's mode must be one of ${MODES.join(', ')}, got '${mode}'`);
  const axesGiven = inputs[3] ? numbersOnly(knownDims(inputs[3])) : x.shape.map((_, i) => i);
  if (!axesGiven) return undefined;
  const axes = axesGiven.map((a) => normalizeAxis(a, x.shape.length, node));
  if (padsIn.shape.length !== 1 || (typeof padsIn.shape[0] === 'number' && padsIn.shape[0] !== 2 * axes.length)) {
    throw new Error(`node ${node}: Pad's pads must hold 2 values per padded axis (${2 * axes.length}), got shape ${formatShape(padsIn.shape)}`);
  }
  const values = numbersOnly(knownDims(padsIn));
  return { axes, pads: values && axes.map((_, i) => ({ before: values[i]!, after: values[axes.length + i]! })) };
}

/**
 * The gradient along one axis padded in a mode that copies input elements: each output
 * element's gradient goes back to the element it copied. `g` has p0 + d + p1 elements
 * along `axis`; the result has d.
 */
function foldAxis(b: GraphBuilder, g: Value, mode: string, axis: number, d: number, p0: number, p1: number): Value {
  let dx = sliceAxis(b, g, axis, p0, p0 + d);
  const add = (part: Value) => (dx = b.op('Add', [dx, part]));
  const sum = (v: Value) => b.op('ReduceSum', [v, b.constant([axis], 'int64')], { keepdims: 1 });
  if (mode === 'edge') {
    // Every padded element copied the edge element.
    if (p0 > 0) add(padAxis(b, sum(sliceAxis(b, g, axis, 0, p0)), axis, 0, d - 1));
    if (p1 > 0) add(padAxis(b, sum(sliceAxis(b, g, axis, p0 + d, p0 + d + p1)), axis, d - 1, 0));
  } else if (mode === 'reflect') {
    // Output p0 − j (j = 1…p0) copied input j; output p0 + d − 1 + j copied input d − 1 − j.
    if (p0 > 0) add(padAxis(b, sliceAxis(b, g, axis, p0 - 1, BEFORE_START, -1), axis, 1, d - 1 - p0));
    if (p1 > 0) add(padAxis(b, sliceAxis(b, g, axis, p0 + d + p1 - 1, p0 + d - 1, -1), axis, d - 1 - p1, 1));
  } else {
    // wrap: the p0 elements before copied the last p0 inputs; the p1 after, the first p1.
    if (p0 > 0) add(padAxis(b, sliceAxis(b, g, axis, 0, p0), axis, d - p0, 0));
    if (p1 > 0) add(padAxis(b, sliceAxis(b, g, axis, p0 + d, p0 + d + p1), axis, 0, d - p1));
  }
  return dx;
}

/**
 * constant mode: dX = Pad(dY, −pads), which crops what was padded and zero-fills what a
 * negative pad removed (pads known only at run time too; negative pads run on onnxruntime's
 * CPU and wasm providers, not verified on webgpu); the constant_value input gets the
 * sum of dY over the padded elements. edge, reflect and wrap: folded back axis by axis
 * (foldAxis), which needs static non-negative pads on static dims.
 */
const padVjp: VjpRule = ([dy], { inputs, attrs, name }, b) => {
  const [x, padsIn, value, axesIn] = inputs;
  const { mode } = readAttrs(padAttrs, attrs);
  const spec = padSpec(inputs, attrs, name);
  const fail = (why: string) => new Error(`no gradient rule for op Pad in mode ${mode} ${why} (node ${name})`);
  if (mode === 'constant') {
    const flat = spec?.pads && [...spec.pads.map((p) => -p.before), ...spec.pads.map((p) => -p.after)];
    const negated = flat ? b.constant(flat, 'int64') : b.op('Sub', [b.constant(0, 'int64'), padsIn!]);
    const dx = b.op('Pad', axesIn ? [dy!, negated, null, axesIn] : [dy!, negated]);
    const dValue = value ? reshapeTo(b, b.op('Sub', [b.op('ReduceSum', [dy!], { keepdims: 0 }), b.op('ReduceSum', [dx], { keepdims: 0 })]), value) : null;
    // Pads known only at run time leave dx's dims unknown: restore x's (symbolic) shape.
    return [dx.shape.some((d, i) => d !== x!.shape[i]) ? reshapeLike(b, dx, x!) : dx, null, dValue, null];
  }
  if (!spec?.pads) throw fail('with pads or axes known only at run time');
  let g = dy!;
  spec.axes.forEach((axis, i) => {
    const { before, after } = spec.pads![i]!;
    if (before === 0 && after === 0) return;
    const d = x!.shape[axis]!;
    if (typeof d !== 'number') throw fail(`along symbolic axis ${axis}`);
    if (before < 0 || after < 0) throw fail(`with negative pads [${before}, ${after}] on axis ${axis}`);
    const limit = mode === 'reflect' ? d - 1 : mode === 'wrap' ? d : Infinity;
    if (before > limit || after > limit) throw fail(`with pads [${before}, ${after}] beyond the ${d} elements of axis ${axis}`);
    g = foldAxis(b, g, mode, axis, d, before, after);
  });
  return [g, null, null, null];
};

/** ONNX Pad (opset 18 form); modes constant, reflect, edge and wrap (opset 19). */
export const Pad: OpDef<typeof padAttrs> = {
  attrs: padAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    const spec = padSpec(inputs, attrs, node);
    if (!spec) return [{ dtype: x.dtype, shape: x.shape.map(() => '?') }];
    const shape: Dim[] = [...x.shape];
    spec.axes.forEach((axis, i) => {
      const p = spec.pads?.[i];
      const d = x.shape[axis]!;
      if (!p) shape[axis] = '?';
      else if (typeof d === 'number') {
        shape[axis] = d + p.before + p.after;
        if (shape[axis] < 0) throw new Error(`node ${node}: Pad removes more than the ${d} elements of axis ${axis} (pads ${p.before}, ${p.after})`);
      } else shape[axis] = p.before === 0 && p.after === 0 ? d : '?';
    });
    return [{ dtype: x.dtype, shape }];
  },
  vjp: padVjp,
};
