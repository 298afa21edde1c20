import type { onnx } from 'onnx-proto';
import { elementCount } from './element-count.js';

type IntLike = number | { toNumber(): number };
const toNumber = (v: IntLike): number => (typeof v === 'number' ? v : v.toNumber());

/**
 * An estimate of the FLOPs one row (one example of the batch) costs: 2 per weight of every
 * MatMul and Gemm with a stored weight, and 2 per weight and output position of every Conv,
 * the positions taken as those of the largest spatial input (no shape inference: a stride or
 * pooling makes it an upper bound). Other nodes are cheap beside these and are not counted.
 */
export function flopsPerRow(graph: onnx.IGraphProto): number {
  const weights = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(toNumber)]));
  const spatial = Math.max(1, ...(graph.input ?? []).map((v) => {
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    if (dims.length < 3) return 1;
    return elementCount(dims.slice(2).map((d) => (d.dimValue === null || d.dimValue === undefined ? 1 : toNumber(d.dimValue))));
  }));
  let flops = 0;
  for (const node of graph.node ?? []) {
    const stored = (node.input ?? []).slice(0, 2).map((name) => weights.get(name)).find((dims) => dims !== undefined);
    if (!stored) continue;
    if (node.opType === 'MatMul' || node.opType === 'Gemm') flops += 2 * elementCount(stored);
    else if (node.opType === 'Conv' || node.opType === 'ConvTranspose') flops += 2 * elementCount(stored) * spatial;
  }
  return flops;
}
