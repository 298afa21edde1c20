import { broadcastShapes, floatInput, sameDType } from './rules.js';
import { unbroadcast } from './grad.js';
import { type OpDef } from './types.js';
import type { GraphBuilder } from '../ir/builder.js';
import { formatShape, type Value } from '../ir/types.js';

function swapLastTwo(b: GraphBuilder, v: Value): Value {
  const perm = v.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [n - 1, n - 2];
  return b.op('Transpose', [v], { perm });
}

export const MatMul: OpDef = {
  attrs: {},
  infer: (inputs, _attrs, node) => {
    const a = floatInput(inputs, 0, node);
    const w = floatInput(inputs, 1, node);
    if (a.shape.length < 2 || w.shape.length < 2) {
      throw new Error(`node ${node}: MatMul needs operands of rank 2 or more, got ${formatShape(a.shape)} and ${formatShape(w.shape)}`);
    }
    const k1 = a.shape[a.shape.length - 1];
    const k2 = w.shape[w.shape.length - 2];
    if (k1 !== k2) {
      throw new Error(`node ${node}: MatMul inner dimensions differ: ${formatShape(a.shape)} x ${formatShape(w.shape)}`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), w.shape.slice(0, -2), node);
    return [{ dtype: sameDType([a, w], node), shape: [...batch, a.shape[a.shape.length - 2]!, w.shape[w.shape.length - 1]!] }];
  },
  vjp: ([dy], { inputs: [a, w] }, b) => {
    // Two matrices: Gemms with the transposes folded into transA/transB, no Transpose nodes.
    if (a!.shape.length === 2 && w!.shape.length === 2) return [b.op('Gemm', [dy!, w!], { transB: 1 }), b.op('Gemm', [a!, dy!], { transA: 1 })];
    return [unbroadcast(b, b.op('MatMul', [dy!, swapLastTwo(b, w!)]), a!), unbroadcast(b, b.op('MatMul', [swapLastTwo(b, a!), dy!]), w!)];
  },
};
