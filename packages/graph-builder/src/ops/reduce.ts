import { arg, normalizeAxis, reducedShape, staticDims } from './rules.js';
import { readAttrs, type VjpRule, type OpDef } from './types.js';
import { staticSize } from './grad.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Node, Value } from '../ir/types.js';
import { onnxDataType } from '../onnx/dtypes.js';

const reduceAttrs = { keepdims: { type: 'int', default: 1 }, noop_with_empty_axes: { type: 'int', default: 0 } } as const;

const inferReduce: OpDef['infer'] = (inputs, attrs, node) => {
  const x = arg(inputs, 0, node);
  const axes = inputs[1] ? staticDims(inputs[1], node).map(Number) : [];
  return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, readAttrs(reduceAttrs, attrs).keepdims === 1, node) }];
};

/** Broadcast the reduced gradient back over the input's shape. */
function spread(b: GraphBuilder, dy: Value, node: Node): Value {
  const x = node.inputs[0]!;
  let kept = dy;
  if (readAttrs(reduceAttrs, node.attrs).keepdims === 0) {
    const given = node.inputs[1] ? staticDims(node.inputs[1], node.name).map(Number) : [];
    const axes = given.length === 0 ? x.shape.map((_, i) => i) : given.map((a) => normalizeAxis(a, x.shape.length, node.name));
    kept = b.op('Unsqueeze', [dy, b.constant([...axes].sort((p, q) => p - q), 'int64')]);
  }
  return b.op('Expand', [kept, b.op('Shape', [x])]);
}

const sumVjp: VjpRule = ([dy], node, b) => [spread(b, dy!, node), null];

/** dx = spread(dy / n), n = elements reduced into each output: divide the small tensor, then spread. */
const meanVjp: VjpRule = ([dy], node, b) => {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const [xSize, ySize] = [staticSize(x), staticSize(y)];
  const code = onnxDataType[x.dtype];
  let scaled: Value;
  if (xSize !== undefined && ySize !== undefined) scaled = b.op('Mul', [dy!, b.constant(ySize / xSize, x.dtype)]);
  else {
    const xCount = b.op('Cast', [b.op('Size', [x])], { to: code });
    const count = ySize === 1 ? xCount : b.op('Div', [xCount, ySize === undefined ? b.op('Cast', [b.op('Size', [y])], { to: code }) : b.constant(ySize, x.dtype)]);
    scaled = b.op('Div', [dy!, count]);
  }
  return [spread(b, scaled, node), null];
};

export const ReduceSum: OpDef<typeof reduceAttrs> = { attrs: reduceAttrs, infer: inferReduce, vjp: sumVjp };
export const ReduceMean: OpDef<typeof reduceAttrs> = { attrs: reduceAttrs, infer: inferReduce, vjp: meanVjp };
