import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Dim, type Shape, type Value } from '../ir/types.js';
import { onnxDataType } from '../onnx/dtypes.js';
import { scalar } from './grad.js';
import { arg, normalizeAxis, sameDType } from './rules.js';
import { readAttrs, type OpDef } from './types.js';

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'];
const scatterElementsAttrs = { axis: { type: 'int', default: 0 }, reduction: { type: 'string', default: 'none' } } as const;
const scatterNDAttrs = { reduction: { type: 'string', default: 'none' } } as const;

function checkReduction(reduction: string, node: string): void {
  if (!REDUCTIONS.includes(reduction)) throw new Error(`node ${node}: reduction must be one of ${REDUCTIONS.join(', ')}, got '${reduction}'`);
}

function integerIndices(inputs: readonly (Value | null)[], node: string, dtypes: readonly string[]): Value {
  const indices = arg(inputs, 1, node);
  if (!dtypes.includes(indices.dtype)) throw new Error(`node ${node}: indices must be ${dtypes.join(' or ')}, got ${indices.dtype}`);
  return indices;
}

/** Two shapes agree where both dims are static. */
const agree = (a: Shape, b: readonly Dim[]) => a.length === b.length && a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);

/** ScatterElements(data, indices, updates): data with updates written (or reduced) at indices along axis. */
export const ScatterElements: OpDef<typeof scatterElementsAttrs> = {
  attrs: scatterElementsAttrs,
  infer: (inputs, attrs, node) => {
    const data = arg(inputs, 0, node);
    const indices = integerIndices(inputs, node, ['int32', 'int64']);
    const updates = arg(inputs, 2, node);
    const { axis, reduction } = readAttrs(scatterElementsAttrs, attrs);
    normalizeAxis(axis, data.shape.length, node);
    checkReduction(reduction, node);
    if (indices.shape.length !== data.shape.length || !agree(updates.shape, indices.shape)) {
      throw new Error(`node ${node}: indices ${formatShape(indices.shape)} and updates ${formatShape(updates.shape)} must have one shape, of the rank of data ${formatShape(data.shape)}`);
    }
    return [{ dtype: sameDType([data, updates], node), shape: data.shape }];
  },
  vjp: null,
};

/** ScatterND(data, indices [..., q], updates [..., data dims after q]): slices of data replaced (or reduced) at index tuples. */
export const ScatterND: OpDef<typeof scatterNDAttrs> = {
  attrs: scatterNDAttrs,
  infer: (inputs, attrs, node) => {
    const data = arg(inputs, 0, node);
    const indices = integerIndices(inputs, node, ['int64']);
    const updates = arg(inputs, 2, node);
    checkReduction(readAttrs(scatterNDAttrs, attrs).reduction, node);
    const depth = indices.shape[indices.shape.length - 1];
    if (indices.shape.length < 1 || typeof depth !== 'number' || depth > data.shape.length) {
      throw new Error(`node ${node}: indices ${formatShape(indices.shape)} must end in a static index length ≤ the rank of data ${formatShape(data.shape)}`);
    }
    const expected = [...indices.shape.slice(0, -1), ...data.shape.slice(depth)];
    if (!agree(updates.shape, expected)) throw new Error(`node ${node}: updates must be ${formatShape(expected)}, got ${formatShape(updates.shape)}`);
    return [{ dtype: sameDType([data, updates], node), shape: data.shape }];
  },
  vjp: null,
};

const upTo = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * The gradient of Gather(data, indices, axis) for data: dy added into zeros of data's shape at
 * the gathered positions (ScatterND, reduction 'add', so repeated indices add up). ScatterND
 * indexes leading axes, so the gathered axis is moved to the front and back.
 */
export function gatherGradient(b: GraphBuilder, dy: Value, data: Value, indices: Value, axis: number): Value {
  const rank = data.shape.length;
  const count = indices.shape.length;
  const front = [axis, ...upTo(0, axis), ...upTo(axis + 1, rank)];
  const moved = axis === 0 ? data : b.op('Transpose', [data], { perm: front });
  const dyPerm = [...upTo(axis, axis + count), ...upTo(0, axis), ...upTo(axis + count, dy.shape.length)];
  const updates = dyPerm.every((p, i) => p === i) ? dy : b.op('Transpose', [dy], { perm: dyPerm });
  const movedShape = front.map((a) => data.shape[a]!);
  const zerosShape = movedShape.every((d) => typeof d === 'number') ? b.constant(movedShape as number[], 'int64') : b.op('Shape', [moved]);
  const zeros = b.op('Expand', [scalar(b, 0, data), zerosShape]);
  const wide = indices.dtype === 'int64' ? indices : b.op('Cast', [indices], { to: onnxDataType.int64 });
  const added = b.op('ScatterND', [zeros, b.op('Unsqueeze', [wide, b.constant([-1], 'int64')]), updates], { reduction: 'add' });
  return axis === 0 ? added : b.op('Transpose', [added], { perm: front.map((_, i) => front.indexOf(i)) });
}
