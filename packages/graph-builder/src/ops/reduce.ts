import { arg, normalizeAxis, numAttr, reducedShape, staticDims } from './rules.js';
import type { OpDef, VjpRule } from './types.js';
import { staticSize } from './grad.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Node, Value } from '../ir/types.js';
import { onnxDataType } from '../onnx/dtypes.js';

const inferReduce: OpDef['infer'] = (inputs, attrs, node) => {
  const x = arg(inputs, 0, node);
  const axes = inputs[1] ? staticDims(inputs[1], node).map(Number) : [];
  return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, numAttr(attrs, 'keepdims', 1) === 1, node) }];
};

/** Broadcast the reduced gradient back over the input's shape. */
function spread(b: GraphBuilder, dy: Value, node: Node): Value {
  const x = node.inputs[0]!;
  let kept = dy;
  if (numAttr(node.attrs, 'keepdims', 1) === 0) {
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

export const ReduceSum: OpDef = { infer: inferReduce, vjp: sumVjp };
export const ReduceMean: OpDef = { infer: inferReduce, vjp: meanVjp };
