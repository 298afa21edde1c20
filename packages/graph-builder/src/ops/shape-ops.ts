import { arg, broadcastShapes, knownDims, normalizeAxis, sameAsFirst, sameDType, shapeSpan, staticDims } from './rules.js';
import { reshapeLike, unbroadcast } from './grad.js';
import { gatherGradient } from './scatter.js';
import { readAttrs, type OpDef } from './types.js';
import { formatShape, type Attrs, type Dim, type Value } from '../ir/types.js';

const shapeAttrs = { start: { type: 'int' }, end: { type: 'int' } } as const;
const reshapeAttrs = { allowzero: { type: 'int', default: 0 } } as const;

const concatAttrs = { axis: { type: 'int' } } as const;
const transposeAttrs = { perm: { type: 'ints' } } as const;
const gatherAttrs = { axis: { type: 'int', default: 0 } } as const;

function concatAxis(attrs: Attrs, rank: number, node: string): number {
  const { axis } = readAttrs(concatAttrs, attrs);
  if (axis === undefined) throw new Error(`node ${node}: Concat needs an axis attribute`);
  return normalizeAxis(axis, rank, node);
}

export const Identity: OpDef = { attrs: {}, infer: sameAsFirst, vjp: ([dy]) => [dy!] };

export const Concat: OpDef<typeof concatAttrs> = {
  attrs: concatAttrs,
  infer: (inputs, attrs, node) => {
    const xs = inputs.map((_, i) => arg(inputs, i, node));
    const first = xs[0];
    if (!first) throw new Error(`node ${node}: Concat needs at least one input`);
    const rank = first.shape.length;
    const axis = concatAxis(attrs, rank, node);
    let total: Dim = 0;
    for (const x of xs) {
      const mismatch = x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== first.shape[i]);
      if (mismatch) {
        throw new Error(`node ${node}: cannot concatenate ${xs.map((v) => formatShape(v.shape)).join(', ')} along axis ${axis}`);
      }
      const d = x.shape[axis]!;
      total = typeof total === 'number' && typeof d === 'number' ? total + d : '?';
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return [{ dtype: sameDType(xs, node), shape }];
  },
  vjp: ([dy], { inputs, attrs, name }, b) => {
    const axis = concatAxis(attrs, dy!.shape.length, name);
    let offset = 0;
    return inputs.map((x) => {
      const size = x!.shape[axis];
      if (typeof size !== 'number') throw new Error(`no gradient rule for op Concat along symbolic axis (node ${name})`);
      const slice = b.op('Slice', [dy!, b.constant([offset], 'int64'), b.constant([offset + size], 'int64'), b.constant([axis], 'int64')]);
      offset += size;
      return slice;
    });
  },
};

function reshapeTarget(x: Value, target: readonly Dim[]): Dim[] {
  const out = target.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const hole = out.indexOf(-1);
  if (hole < 0) return out;
  const known = (dims: readonly Dim[]) => dims.reduce<number>((p, d) => (typeof d === 'number' && d !== -1 ? p * d : p), 1);
  const symbols = (dims: readonly Dim[]) => dims.filter((d): d is string => typeof d === 'string').sort().join(',');
  // The same symbolic dims on both sides (a batch dim copied with 0) cancel out.
  out[hole] = symbols(x.shape) === symbols(out) && !x.shape.includes('?') ? known(x.shape) / known(out) : symbols(out) === '' && symbols(x.shape).split(',').length === 1 && known(x.shape) === known(out) ? symbols(x.shape) : '?';
  return out;
}

export const Reshape: OpDef<typeof reshapeAttrs> = {
  attrs: reshapeAttrs,
  infer: (inputs, _attrs, node) => {
    const x = arg(inputs, 0, node);
    const target = arg(inputs, 1, node);
    const known = knownDims(target);
    if (known) return [{ dtype: x.dtype, shape: reshapeTarget(x, known) }];
    // A target computed at run time: the rank is known, the dims are not.
    const length = target.shape[0];
    if (target.shape.length !== 1 || typeof length !== 'number') {
      throw new Error(`node ${node}: Reshape's shape input must be 1-D of static length, got ${formatShape(target.shape)}`);
    }
    return [{ dtype: x.dtype, shape: new Array<Dim>(length).fill('?') }];
  },
  vjp: ([dy], { inputs: [x] }, b) => [reshapeLike(b, dy!, x!), null],
};

export const Transpose: OpDef<typeof transposeAttrs> = {
  attrs: transposeAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    const perm = readAttrs(transposeAttrs, attrs).perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
  },
  vjp: ([dy], { attrs, inputs: [x] }, b) => {
    const perm = readAttrs(transposeAttrs, attrs).perm ?? x!.shape.map((_, i) => x!.shape.length - 1 - i);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [b.op('Transpose', [dy!], { perm: inverse })];
  },
};

export const Unsqueeze: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => {
    const x = arg(inputs, 0, node);
    const axes = staticDims(arg(inputs, 1, node), node).map(Number);
    const rank = x.shape.length + axes.length;
    const norm = new Set(axes.map((a) => normalizeAxis(a, rank, node)));
    const rest = [...x.shape];
    const shape = Array.from({ length: rank }, (_, i) => (norm.has(i) ? 1 : rest.shift()!));
    return [{ dtype: x.dtype, shape }];
  },
  vjp: ([dy], { inputs: [x] }, b) => [reshapeLike(b, dy!, x!), null],
};

export const Expand: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => {
    const x = arg(inputs, 0, node);
    return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, staticDims(arg(inputs, 1, node), node), node) }];
  },
  vjp: ([dy], { inputs: [x] }, b) => [unbroadcast(b, dy!, x!), null],
};

export const Shape: OpDef<typeof shapeAttrs> = {
  attrs: shapeAttrs,
  infer: (inputs, attrs, node) => {
    const [from, to] = shapeSpan(arg(inputs, 0, node).shape.length, attrs);
    return [{ dtype: 'int64', shape: [to - from] }];
  },
  vjp: null,
};

export const Size: OpDef = {
  attrs: {},
  infer: () => [{ dtype: 'int64', shape: [] }],
  vjp: null,
};

export const Gather: OpDef<typeof gatherAttrs> = {
  attrs: gatherAttrs,
  infer: (inputs, attrs, node) => {
    const x = arg(inputs, 0, node);
    const indices = arg(inputs, 1, node);
    const axis = normalizeAxis(readAttrs(gatherAttrs, attrs).axis, x.shape.length, node);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)] }];
  },
  // Reached only on float paths: integer Gathers (shapes, the train Loop's slicing) never lead to the loss.
  vjp: ([dy], { inputs: [x, indices], attrs, name }, b) => [gatherGradient(b, dy!, x!, indices!, normalizeAxis(readAttrs(gatherAttrs, attrs).axis, x!.shape.length, name)), null],
};
