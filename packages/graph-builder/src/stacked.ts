import type { GraphBuilder } from './ir/builder.js';
import type { Attrs, Node, Value } from './ir/types.js';
import type { OpName } from './ops/index.js';

/**
 * Ops that apply element by element with broadcasting: stacking every operand of full rank
 * along a new leading axis stacks the result.
 */
const elementwise = new Set<string>([
  'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Pow', 'Tanh', 'Sigmoid', 'Relu', 'LeakyRelu', 'Softplus', 'Exp', 'Log', 'Sqrt', 'Abs', 'Erf', 'Sign',
  'Reciprocal', 'Min', 'Max', 'Floor', 'Ceil', 'Round', 'Cast', 'Clip', 'Where', 'Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual',
  'Not', 'And', 'Or', 'Xor', 'Identity',
]);
const reductions = new Set<string>(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSumSquare', 'ReduceL2']);
/** Ops with an `axis` attribute over their first input (default −1 for all but Concat, which needs one). */
const alongAxis = new Set<string>(['Softmax', 'LogSoftmax', 'OneHot', 'Concat']);

/** An axis of a per-step tensor, as an axis of the same tensor stacked along a new leading one. */
const shifted = (axis: number): number => (axis >= 0 ? axis + 1 : axis);

export interface StackedNode {
  readonly op: OpName;
  readonly inputs: readonly (Value | null)[];
  readonly attrs: Attrs;
}

/**
 * `node`, written for one step, as the node that computes it for every step at once:
 * `inputs[i]` replaces the node's i-th input, stacked along a new leading axis when `stacked[i]`
 * (the others are the same for every step). Undefined when the op has no such form here; the
 * caller then keeps the node in the step.
 */
export function stackedNode(b: GraphBuilder, node: Pick<Node, 'op' | 'inputs' | 'attrs'>, inputs: readonly (Value | null)[], stacked: readonly boolean[]): StackedNode | undefined {
  const op = node.op as OpName;
  const rank = (i: number) => node.inputs[i]?.shape.length ?? 0;
  if (elementwise.has(op)) {
    // an operand of lower rank would broadcast against the wrong axes once the others are stacked
    const full = Math.max(...node.inputs.map((_, i) => rank(i)));
    return node.inputs.every((v, i) => !v || !stacked[i] || rank(i) === full) ? { op, inputs, attrs: node.attrs } : undefined;
  }
  const onlyFirst = stacked.every((s, i) => (i === 0) === s || !node.inputs[i]);
  if (reductions.has(op)) {
    if (!onlyFirst) return undefined;
    const axes = node.inputs[1];
    if (axes && !axes.constant) return undefined;
    const given = axes ? Array.from(axes.constant!.data, Number) : [];
    if (given.length === 0 && node.attrs.noop_with_empty_axes === 1) return { op, inputs, attrs: node.attrs };
    const all = Array.from({ length: rank(0) }, (_, i) => i);
    const newAxes = b.constant((given.length === 0 ? all : given).map(shifted), 'int64');
    return { op, inputs: [inputs[0]!, newAxes], attrs: node.attrs };
  }
  if (alongAxis.has(op)) {
    const allStacked = op === 'Concat' ? stacked.every(Boolean) : onlyFirst;
    if (!allStacked) return undefined;
    const axis = (node.attrs.axis as number | undefined) ?? -1;
    return { op, inputs, attrs: { ...node.attrs, axis: shifted(axis) } };
  }
  if (op === 'Transpose' && onlyFirst) {
    const perm = (node.attrs.perm as readonly number[] | undefined) ?? Array.from({ length: rank(0) }, (_, i) => rank(0) - 1 - i);
    return { op, inputs, attrs: { ...node.attrs, perm: [0, ...perm.map((p) => p + 1)] } };
  }
  if (op === 'Reshape' && onlyFirst && node.attrs.allowzero !== 1) {
    // 0 copies the input's size at the same position: the steps axis, and each shifted one after it
    const shape = node.inputs[1];
    if (!shape?.constant) return undefined;
    return { op, inputs: [inputs[0]!, b.constant([0, ...Array.from(shape.constant.data, Number)], 'int64')], attrs: node.attrs };
  }
  return undefined;
}
