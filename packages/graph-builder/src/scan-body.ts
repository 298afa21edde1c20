import { valuesRead, type GraphBuilder } from './ir/builder.js';
import type { Attrs, DType, Node, Shape, SubGraph, Value } from './ir/types.js';
import type { OpName } from './ops/index.js';
import { stackedNode } from './stacked.js';

/**
 * The body of an ONNX Scan over tensors stacked along a leading 'steps' axis, built in the
 * enclosing graph `outer`. Its state inputs come first, then one input per stacked tensor it
 * slices. A node of the body that reads only slices and values of the enclosing graph is
 * computed there, for every step at once, and the body takes its slice instead (the per-step
 * data's Concat, Cast or OneHot run once per Scan, not once per step).
 */
export class ScanBody {
  readonly body: GraphBuilder;
  private readonly states: Value[] = [];
  private readonly sliceOf = new Map<Value, Value>();
  private readonly stackedOf = new Map<Value, Value>();

  constructor(private readonly outer: GraphBuilder) {
    this.body = outer.subgraph();
    this.body.liftWith((op, inputs, attrs) => this.liftIn(op, inputs, attrs));
  }

  /** A state input (carried from each step to the next); all of them before the first slice. */
  state(name: string, dtype: DType, shape: Shape): Value {
    if (this.sliceOf.size > 0) throw new Error(`ScanBody: state input '${name}' after a scanned input`);
    const v = this.body.input(name, dtype, shape);
    this.states.push(v);
    return v;
  }

  /** The current step's slice of `stacked` (a tensor of the enclosing graph, steps first). */
  slice(stacked: Value): Value {
    const made = this.sliceOf.get(stacked);
    if (made) return made;
    const v = this.body.input(`scan.${stacked.name}`, stacked.dtype, stacked.shape.slice(1));
    this.sliceOf.set(stacked, v);
    this.stackedOf.set(v, stacked);
    return v;
  }

  private liftIn(op: OpName, inputs: readonly (Value | null)[], attrs: Attrs): Value | undefined {
    const stacked = inputs.map((v) => v !== null && this.stackedOf.has(v));
    if (!stacked.some(Boolean) || inputs.some((v, i) => v !== null && !stacked[i] && this.body.owns(v))) return undefined;
    const form = stackedNode(this.outer, { op, inputs, attrs }, inputs.map((v) => (v === null ? null : (this.stackedOf.get(v) ?? v))), stacked);
    return form && this.slice(this.outer.op(form.op, form.inputs, form.attrs as never));
  }

  /**
   * Close the body into a Scan node of the enclosing graph: the body gives `next` (one value per
   * state input, in order) and `perStep` (stacked into the scan outputs). `perStepOnly`, when
   * given, is a per-step value (the loss) that nothing else in `next` or `perStep` needs: the
   * nodes computing it are replayed in the enclosing graph over the stacked tensors, once per
   * Scan, when each has a stacked form; else it is one more scan output. Returns the last
   * state, the stacked `perStep` and the stacked `perStepOnly`.
   */
  close(name: string, initial: readonly Value[], next: readonly Value[], perStep: readonly Value[], perStepOnly?: Value): { state: Value[]; perStep: Value[]; only?: Value } {
    if (initial.length !== this.states.length || next.length !== this.states.length) {
      throw new Error(`ScanBody: ${this.states.length} state inputs, given ${initial.length} initial and ${next.length} next values`);
    }
    const replay = perStepOnly ? this.replayable(perStepOnly, [...next, ...perStep]) : undefined;
    const scanned = [...perStep];
    if (perStepOnly && !replay) scanned.push(perStepOnly);
    for (const v of replay?.reads ?? []) if (!scanned.includes(v)) scanned.push(v);
    for (const v of next) this.body.output(v);
    for (const v of scanned) this.body.output(v);
    const closed = this.body.close(name);
    // slices no node reads: dropped from the body and the Scan's inputs
    const read = new Set<Value>(closed.outputs);
    for (const node of closed.nodes) for (const v of valuesRead(node)) read.add(v);
    const slices = closed.inputs.slice(this.states.length).filter((v) => read.has(v));
    const body: SubGraph = { ...closed, inputs: [...this.states, ...slices] };
    const outs = this.outer.opMulti('Scan', [...initial, ...slices.map((s) => this.stackedOf.get(s)!)], { body, num_scan_inputs: slices.length }, next.length + scanned.length);
    const stackedScan = new Map(scanned.map((v, i) => [v, outs[next.length + i]!] as const));
    const state = outs.slice(0, next.length);
    const stacked = perStep.map((v) => stackedScan.get(v)!);
    if (!perStepOnly) return { state, perStep: stacked };
    if (!replay) return { state, perStep: stacked, only: stackedScan.get(perStepOnly)! };
    const replayed = new Map<Value, Value>();
    const stackedValue = (v: Value) => replayed.get(v) ?? stackedScan.get(v) ?? this.stackedOf.get(v);
    for (const node of replay.nodes) {
      const inputs = node.inputs.map((v) => (v === null ? null : (stackedValue(v) ?? v)));
      const form = stackedNode(this.outer, node, inputs, node.inputs.map((v) => v !== null && stackedValue(v) !== undefined))!;
      replayed.set(node.outputs[0]!, this.outer.op(form.op, form.inputs, form.attrs as never));
    }
    return { state, perStep: stacked, only: replayed.get(perStepOnly) ?? stackedScan.get(perStepOnly)! };
  }

  /**
   * The body nodes that only `value` needs (not `kept`), in tape order, and the body values they
   * read that must then be scanned out; undefined when one of the nodes has no stacked form.
   */
  private replayable(value: Value, kept: readonly Value[]): { nodes: Node[]; reads: Value[] } | undefined {
    const tape = this.body.nodes;
    const order = new Map(tape.map((n, i) => [n, i] as const));
    const closure = (roots: readonly Value[]) => {
      const seen = new Set<Node>();
      const stack = roots.map((v) => v.producer).filter((n): n is Node => n !== undefined && order.has(n));
      while (stack.length > 0) {
        const n = stack.pop()!;
        if (seen.has(n)) continue;
        seen.add(n);
        for (const v of n.inputs) if (v?.producer && order.has(v.producer)) stack.push(v.producer);
      }
      return seen;
    };
    const needed = closure(kept);
    const nodes = [...closure([value])].filter((n) => !needed.has(n)).sort((a, b) => order.get(a)! - order.get(b)!);
    const made = new Set(nodes.flatMap((n) => n.outputs));
    const reads: Value[] = [];
    for (const node of nodes) {
      if (node.outputs.length !== 1) return undefined;
      const stacked = node.inputs.map((v) => v !== null && (made.has(v) || this.body.owns(v)));
      for (const v of node.inputs) if (v && !made.has(v) && this.body.owns(v) && !this.stackedOf.has(v) && !reads.includes(v)) reads.push(v);
      if (!stackedNode(this.outer, node, node.inputs, stacked)) return undefined;
    }
    if (!made.has(value) && !reads.includes(value)) reads.push(value);
    return { nodes, reads };
  }
}
