import type { Node, Shape, SubGraph, Value } from './types.js';

/**
 * The arithmetic of a graph in FLOPs (a multiply-add counts 2; any other op one per element of its largest
 * input or output): `perRow` for every unit of its symbolic dimensions (per example when the only one is
 * the batch), `fixed` for the rest (an optimizer's update of the parameters). A Loop counts its
 * body once: the cost of one step of a fused train step.
 */
export interface GraphCost {
  readonly fixed: number;
  readonly perRow: number;
}

/** The number of elements of a shape, its symbolic dimensions counted as 1. */
const elements = (shape: Shape): number => shape.reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), 1);

const isPerRow = (v: Value): boolean => v.shape.some((d) => typeof d !== 'number');

const last = (shape: Shape): number => {
  const d = shape[shape.length - 1];
  return typeof d === 'number' ? d : 1;
};

/** FLOPs of one node, its symbolic dimensions counted as 1. */
function nodeFlops(node: Node): number {
  const [a, w] = node.inputs;
  const out = node.outputs[0]!;
  switch (node.op) {
    case 'MatMul':
      return 2 * elements(out.shape) * last(a!.shape);
    case 'Gemm': {
      const k = node.attrs.transA ? a!.shape[0] : a!.shape[1];
      return 2 * elements(out.shape) * (typeof k === 'number' ? k : 1);
    }
    case 'Conv':
      // every output element sums inC/group · kernel products: the weight's dims after the first
      return 2 * elements(out.shape) * elements(w!.shape.slice(1));
    case 'ConvTranspose':
      // every input element scatters into outC/group · kernel outputs
      return 2 * elements(a!.shape) * elements(w!.shape.slice(1));
    default:
      // element-wise: one per output element; a reduction: one per input element
      return Math.max(...[...node.inputs, ...node.outputs].map((v) => (v ? elements(v.shape) : 0)));
  }
}

/** Walk the graph's nodes (and the body of a Loop or Scan, once) and add up their FLOPs. */
export function graphCost(graph: SubGraph): GraphCost {
  let fixed = 0;
  let perRow = 0;
  for (const node of graph.nodes) {
    if (node.op === 'Loop' || node.op === 'Scan') {
      const body = graphCost(node.attrs.body as SubGraph);
      fixed += body.fixed;
      perRow += body.perRow;
      continue;
    }
    const flops = nodeFlops(node);
    if (node.outputs.some(isPerRow) || node.inputs.some((v) => v !== null && isPerRow(v))) perRow += flops;
    else fixed += flops;
  }
  return { fixed, perRow };
}
