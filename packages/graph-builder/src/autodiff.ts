import type { Composite, GraphBuilder } from './ir/builder.js';
import { formatShape, type Node, type Value } from './ir/types.js';
import { ops, type OpName } from './ops/index.js';
import { elementCount } from './ir/element-count.js';

/**
 * Reverse-mode differentiation over the builder's tape: emits, into the same builder,
 * the gradient of the scalar `loss` (times `seed`, default 1) with respect to each value of `wrt`. Only nodes on a
 * path from `wrt` to `loss` are visited; gradients of values used more than once add up.
 */
export function gradients(b: GraphBuilder, loss: Value, wrt: readonly Value[], seed: Value = b.constant(1, loss.dtype)): Value[] {
  if (loss.shape.length !== 0) throw new Error(`gradients: the loss must be a scalar, got shape ${formatShape(loss.shape)}`);
  const tape = [...b.nodes];
  const reachable = new Set<Value>(wrt);
  const onPath = new Set<Node>();
  for (const node of tape) {
    if (node.inputs.some((v) => v && reachable.has(v))) {
      onPath.add(node);
      node.outputs.forEach((o) => reachable.add(o));
    }
  }

  const grads = new Map<Value, Value>([[loss, seed]]);
  const accumulate = (inputs: readonly (Value | null)[], dxs: readonly (Value | null)[]) =>
    inputs.forEach((x, k) => {
      const dx = dxs[k];
      if (!x || !dx || !reachable.has(x)) return;
      const previous = grads.get(x);
      grads.set(x, previous ? b.op('Add', [previous, dx]) : dx);
    });
  const compositeOf = new Map<Node, Composite>();
  for (const c of b.composites) for (const n of c.nodes) compositeOf.set(n, c);

  b.scoped('grad', () => {
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i]!;
      if (!onPath.has(node)) continue;
      const composite = compositeOf.get(node);
      if (composite) {
        const dy = composite.output.producer === node ? grads.get(composite.output) : undefined;
        if (dy) accumulate(composite.inputs, b.scoped(node.name, () => composite.vjp(dy, b)));
        continue;
      }
      const dys = node.outputs.map((o) => grads.get(o) ?? null);
      if (dys.every((d) => d === null)) continue;
      const rule = ops[node.op as OpName]?.vjp;
      if (!rule) throw new Error(`no gradient rule for op ${node.op} (node ${node.name})${throughIt(tape, node, wrt)}`);
      accumulate(node.inputs, b.scoped(node.name, () => rule(dys, node, b)));
    }
  });

  return wrt.map((w) => grads.get(w) ?? zerosLike(b, w));
}

/** For the error: which of `wrt` reach `target`, the parameters whose gradient needs its rule. */
function throughIt(tape: readonly Node[], target: Node, wrt: readonly Value[]): string {
  const names = wrt.filter((w) => {
    const reached = new Set<Value>([w]);
    for (const node of tape) {
      if (!node.inputs.some((v) => v && reached.has(v))) continue;
      if (node === target) return true;
      node.outputs.forEach((o) => reached.add(o));
    }
    return false;
  }).map((w) => w.name);
  if (names.length === 0) return '';
  const list = `${names.slice(0, 6).join(', ')}${names.length > 6 ? ` and ${names.length - 6} more` : ''}`;
  return `; the gradient of ${list} needs it (an imported model can train without ${names.length === 1 ? 'it' : 'them'}: leave ${names.length === 1 ? 'it' : 'them'} out of importOnnx's trainable option)`;
}

function zerosLike(b: GraphBuilder, w: Value): Value {
  const dims = w.shape.map((d) => {
    if (typeof d !== 'number') throw new Error(`gradients: '${w.name}' does not affect the loss and has a symbolic shape`);
    return d;
  });
  return b.constant(new Array<number>(elementCount(dims)).fill(0), w.dtype, dims);
}
