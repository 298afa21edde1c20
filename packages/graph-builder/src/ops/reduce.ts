import { arg, normalizeAxis, reducedShape, staticDims } from './rules.js';
import { readAttrs, type VjpRule, type OpDef } from './types.js';
import { countOf, scalar, staticSize } from './grad.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Attrs, Node, Value } from '../ir/types.js';
import { onnxDataType } from '../onnx/dtypes.js';

const reduceAttrs = { keepdims: { type: 'int', default: 1 }, noop_with_empty_axes: { type: 'int', default: 0 } } as const;

/**
 * What a reduce node reduces (opset 18 form: axes an optional int64 input): the sorted
 * axes, every axis when none are given, or 'none' when none are given and
 * noop_with_empty_axes is set (each output element then reduces just its own input element).
 */
function reduction(x: Value, axesInput: Value | null | undefined, attrs: Attrs, node: string): { axes: number[] | 'none'; keepdims: boolean } {
  const { keepdims, noop_with_empty_axes } = readAttrs(reduceAttrs, attrs);
  const given = axesInput ? staticDims(axesInput, node).map(Number) : [];
  if (given.length === 0) return { axes: noop_with_empty_axes ? 'none' : x.shape.map((_, i) => i), keepdims: keepdims === 1 };
  const axes = [...new Set(given.map((a) => normalizeAxis(a, x.shape.length, node)))].sort((p, q) => p - q);
  return { axes, keepdims: keepdims === 1 };
}

const nodeReduction = (node: Node) => reduction(node.inputs[0]!, node.inputs[1], node.attrs, node.name);

const inferReduce: OpDef['infer'] = (inputs, attrs, node) => {
  const x = arg(inputs, 0, node);
  const { axes, keepdims } = reduction(x, inputs[1], attrs, node);
  return [{ dtype: x.dtype, shape: axes === 'none' ? x.shape : reducedShape(x.shape, axes, keepdims, node) }];
};

/** A value of the reduced shape with the reduced axes restored as 1s, so that it broadcasts against the input. */
function kept(b: GraphBuilder, v: Value, node: Node): Value {
  const { axes, keepdims } = nodeReduction(node);
  if (axes === 'none' || keepdims || axes.length === 0) return v;
  return b.op('Unsqueeze', [v, b.constant(axes, 'int64')]);
}

/** Broadcast the reduced gradient back over the input's shape. */
const spread = (b: GraphBuilder, dy: Value, node: Node): Value => b.op('Expand', [kept(b, dy, node), b.op('Shape', [node.inputs[0]!])]);

const sumVjp: VjpRule = ([dy], node, b) => [nodeReduction(node).axes === 'none' ? dy! : spread(b, dy!, node), null];

/** dx = spread(dy / n), n = elements reduced into each output: divide the small tensor, then spread. */
const meanVjp: VjpRule = ([dy], node, b) => {
  const { axes } = nodeReduction(node);
  if (axes === 'none') return [dy!, null];
  return [spread(b, divideByReduced(b, dy!, node, axes), node), null];
};

/** dy / n: n a constant, or from the sizes the builder binds for symbolic dimensions, or Size(x) / Size(y). */
function divideByReduced(b: GraphBuilder, dy: Value, node: Node, axes: readonly number[]): Value {
  const x = node.inputs[0]!;
  const count = countOf(b, axes.map((a) => x.shape[a]!), x.dtype);
  if (typeof count === 'number') return b.op('Mul', [dy, b.constant(1 / count, x.dtype)]);
  if (count) return b.op('Div', [dy, count]);
  const code = onnxDataType[x.dtype];
  const ySize = staticSize(node.outputs[0]!);
  const xCount = b.op('Cast', [b.op('Size', [x])], { to: code });
  const perOutput = ySize === 1 ? xCount : b.op('Div', [xCount, ySize === undefined ? b.op('Cast', [b.op('Size', [node.outputs[0]!])], { to: code }) : b.constant(ySize, x.dtype)]);
  return b.op('Div', [dy, perOutput]);
}

/**
 * ReduceMax, ReduceMin: the gradient goes to the elements equal to their slice's extremum;
 * tied elements share it equally (as PyTorch's amax/amin; torch.max(dim) instead gives it
 * all to the one index it returns).
 */
const extremumVjp: VjpRule = ([dy], node, b) => {
  const { axes } = nodeReduction(node);
  if (axes === 'none') return [dy!, null];
  const x = node.inputs[0]!;
  const mask = b.op('Cast', [b.op('Equal', [x, kept(b, node.outputs[0]!, node)])], { to: onnxDataType[x.dtype] });
  const count = b.op('ReduceSum', [mask, b.constant(axes, 'int64')], { keepdims: 1 });
  return [b.op('Mul', [mask, b.op('Div', [kept(b, dy!, node), count])]), null];
};

/** y = Σx²: dx = 2x·dy. */
const sumSquareVjp: VjpRule = ([dy], node, b) => {
  const x = node.inputs[0]!;
  return [b.op('Mul', [b.op('Mul', [x, scalar(b, 2, x)]), kept(b, dy!, node)]), null];
};

/** y = √Σx²: dx = x·dy/y, and 0 where y = 0 (the subgradient PyTorch's norm takes there). */
const l2Vjp: VjpRule = ([dy], node, b) => {
  const x = node.inputs[0]!;
  const y = kept(b, node.outputs[0]!, node);
  const zero = scalar(b, 0, x);
  const ratio = b.op('Where', [b.op('Equal', [y, zero]), zero, b.op('Div', [kept(b, dy!, node), y])]);
  return [b.op('Mul', [x, ratio]), null];
};

const reduceOp = (vjp: VjpRule): OpDef<typeof reduceAttrs> => ({ attrs: reduceAttrs, infer: inferReduce, vjp });
export const ReduceSum = reduceOp(sumVjp);
export const ReduceMean = reduceOp(meanVjp);
export const ReduceMax = reduceOp(extremumVjp);
export const ReduceMin = reduceOp(extremumVjp);
export const ReduceSumSquare = reduceOp(sumSquareVjp);
export const ReduceL2 = reduceOp(l2Vjp);
