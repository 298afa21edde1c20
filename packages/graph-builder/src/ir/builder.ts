import { NameAuthority } from './names.js';
import { ops, type OpAttrs, type OpName } from '../ops/index.js';
import type { AttrType } from '../ops/types.js';
import { tensorConst } from './tensor.js';
import type { Attrs, DType, Initializer, Node, Shape, SubGraph, TensorConst, Value } from './types.js';

export { tensorConst };

/**
 * A nested graph's way to compute a node for every iteration at once in the enclosing graph
 * (a Scan body's per-step data): the value to use instead, or undefined to keep the node.
 */
export type Lift = (op: OpName, inputs: readonly (Value | null)[], attrs: Attrs) => Value | undefined;

/** Gradients of a composite's inputs (null: none) from the gradient of its output. */
export type CompositeVjp = (dy: Value, b: GraphBuilder) => (Value | null)[];

export interface Composite {
  readonly inputs: readonly Value[];
  readonly output: Value;
  readonly nodes: ReadonlySet<Node>;
  readonly vjp: CompositeVjp;
}

/**
 * The tape: records nodes, graph inputs/outputs and initializers in the order they are
 * made, which is a topological order. Shapes are inferred as nodes are added, through
 * the op table, so a misuse throws where it is written.
 */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  private readonly initializerList: Initializer[] = [];
  private readonly constantCache = new Map<string, Value>();
  private readonly frozenValues = new Map<string, Value>();
  private readonly scopes: string[] = [];
  readonly composites: Composite[] = [];
  /** The values this graph makes: its inputs and its nodes' outputs (everything else comes from outside). */
  private readonly local = new Set<Value>();
  private readonly dimSizes = new Map<string, { readonly make: () => Value; value?: Value }>();
  private lift: Lift | undefined;

  constructor(
    readonly names: NameAuthority = new NameAuthority(),
    private readonly parent?: GraphBuilder,
  ) {}

  get initializers(): readonly Initializer[] {
    return this.root.initializerList;
  }

  private get root(): GraphBuilder {
    return this.parent ? this.parent.root : this;
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    const value: Value = { name: this.names.claim(name, 'input'), dtype, shape, producer: undefined };
    this.inputs.push(value);
    this.local.add(value);
    return value;
  }

  /**
   * Say how to compute the runtime size of the symbolic dimension `name` in this graph (an
   * int64 scalar), for this graph and the graphs nested in it; `make` runs on first use.
   */
  bindDim(name: string, make: () => Value): void {
    if (!this.dimSizes.has(name)) this.dimSizes.set(name, { make });
  }

  /** The runtime size of a symbolic dimension, when this graph or one around it binds it. */
  dimSize(name: string): Value | undefined {
    const bound = this.dimSizes.get(name);
    if (!bound) return this.parent?.dimSize(name);
    return (bound.value ??= bound.make());
  }

  /** A named tensor stored in the model file (always in the outermost graph). */
  initializer(name: string, data: TensorConst): Value {
    return this.storeInitializer({ name: this.names.claim(name, 'initializer'), dtype: data.dtype, shape: data.dims, producer: undefined }, data);
  }

  /** A named constant tensor (a frozen parameter): made once per model, however many graphs read it. */
  frozen(name: string, data: TensorConst): Value {
    const root = this.root;
    const made = root.frozenValues.get(name);
    if (made) return made;
    const value = this.initializer(name, data);
    root.frozenValues.set(name, value);
    return value;
  }

  private storeInitializer(value: Value, data: TensorConst): Value {
    this.root.initializerList.push({ value, data });
    return value;
  }

  /** A constant tensor; identical constants are stored once. */
  constant(values: number | readonly number[], dtype: DType, dims?: readonly number[]): Value {
    const list = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
    const key = `${dtype}|${shape.join(',')}|${list.join(',')}`;
    const root = this.root;
    const cached = root.constantCache.get(key);
    if (cached) return cached;
    const data = tensorConst(dtype, shape, list);
    const value = this.storeInitializer({ name: this.names.fresh('const'), dtype, shape, producer: undefined, constant: data }, data);
    root.constantCache.set(key, value);
    return value;
  }

  /** Add a node with one output and return that output. */
  op<K extends OpName>(op: K, inputs: readonly (Value | null)[], attrs: OpAttrs<K> = {}): Value {
    const [first] = this.opMulti(op, inputs, attrs, 1);
    return first as Value;
  }

  /**
   * In a nested graph, a node that reads only values from outside it (the learning rate, the
   * batch size, constants) is the same in every iteration: it goes to the enclosing graph, so
   * that a Loop or Scan computes it once per run. Dropout draws anew each time and stays.
   */
  opMulti<K extends OpName>(op: K, inputs: readonly (Value | null)[], attrs: OpAttrs<K>, outputCount: number): Value[] {
    if (this.lift && outputCount === 1 && op !== 'Dropout') {
      const lifted = this.lift(op, inputs, attrs as Attrs);
      if (lifted) return [lifted];
    }
    const scope = this.scopes.length > 0 ? `${this.scopes.join('/')}/` : '';
    const name = this.names.fresh(`${scope}${op}`);
    const graph = op === 'Dropout' ? this : this.graphFor(inputs);
    return graph.addNode(op, name, inputs, attrs as Attrs, outputCount === 1 ? [name] : Array.from({ length: outputCount }, (_, i) => `${name}_${i}`));
  }

  /** Let `lift` compute nodes of this nested graph in the enclosing one (see Lift). */
  liftWith(lift: Lift): void {
    this.lift = lift;
  }

  /** True for a value this graph makes (an input or a node's output), false for one it reads from outside. */
  owns(value: Value): boolean {
    return this.local.has(value);
  }

  /** The outermost graph, from this one out, where every one of `inputs` is defined. */
  private graphFor(inputs: readonly (Value | null)[]): GraphBuilder {
    if (!this.parent || inputs.some((v) => v !== null && this.local.has(v))) return this;
    return this.parent.graphFor(inputs);
  }

  /** Checks the attributes against the op's schema, infers the outputs' types and records the node. */
  private addNode(op: OpName, name: string, inputs: readonly (Value | null)[], attrs: Attrs, outputNames: readonly string[]): Value[] {
    const schema = ops[op].attrs as Readonly<Record<string, { readonly type: AttrType }>>;
    for (const [key, value] of Object.entries(attrs)) {
      const spec = schema[key];
      if (!spec) throw new Error(`node ${name}: op ${op} has no attribute '${key}' (it takes ${Object.keys(schema).join(', ') || 'none'})`);
      if (!attrFits(spec.type, value)) throw new Error(`node ${name}: attribute '${key}' of op ${op} must be of ONNX type ${spec.type.toUpperCase()}, got ${JSON.stringify(value)}`);
    }
    const signatures = ops[op].infer(inputs, attrs, name);
    if (signatures.length < outputNames.length) {
      throw new Error(`node ${name}: op ${op} has ${signatures.length} outputs, ${outputNames.length} were asked for`);
    }
    const outputs: Value[] = [];
    const node: Node = { op, name, inputs, outputs, attrs };
    outputNames.forEach((outName, i) => outputs.push({ name: outName, dtype: signatures[i]!.dtype, shape: signatures[i]!.shape, producer: node }));
    this.nodes.push(node);
    for (const o of outputs) this.local.add(o);
    return outputs;
  }

  /** Mark a value as a graph output, under `name` when given (through an Identity node). */
  output(value: Value, name?: string): Value {
    let out = value;
    if (name !== undefined && name !== value.name) {
      this.names.claim(name, 'output');
      [out] = this.addNode('Identity', `${name}/Identity`, [value], {}, [name]) as [Value];
    } else if (this.parent && !this.local.has(value)) {
      // A nested graph's outputs are its own values.
      const id = this.names.fresh('Identity');
      out = this.addNode('Identity', id, [value], {}, [id])[0]!;
    }
    this.outputs.push(out);
    return out;
  }

  /**
   * Emit a fragment `build()` whose gradient the reverse pass takes from `vjp` instead of
   * differentiating the fragment's nodes (e.g. a loss fused with its output activation).
   * Values made inside must not be used outside the fragment.
   */
  composite(inputs: readonly Value[], build: () => Value, vjp: CompositeVjp): Value {
    const first = this.nodes.length;
    const output = build();
    this.composites.push({ inputs, output, nodes: new Set(this.nodes.slice(first)), vjp });
    return output;
  }

  scoped<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** A builder for a nested graph (a Loop or Scan body) sharing this model's names and initializers. */
  subgraph(): GraphBuilder {
    return new GraphBuilder(this.names, this);
  }

  /** The finished graph, without the nodes that no output depends on. */
  close(name: string): SubGraph {
    const needed = new Set<Value>(this.outputs);
    const kept: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      if (!node.outputs.some((o) => needed.has(o))) continue;
      kept.push(node);
      for (const v of valuesRead(node)) needed.add(v);
    }
    return { kind: 'graph', name, inputs: this.inputs, outputs: this.outputs, nodes: kept.reverse() };
  }

  /** The initializers that `graph` (or a graph nested in it) reads. */
  initializersOf(graph: SubGraph): Initializer[] {
    const read = new Set<Value>(graph.outputs);
    for (const node of graph.nodes) for (const v of valuesRead(node)) read.add(v);
    return this.initializers.filter((i) => read.has(i.value));
  }
}

function attrFits(type: AttrType, value: unknown): boolean {
  switch (type) {
    case 'int':
      return Number.isInteger(value);
    case 'float':
      return typeof value === 'number';
    case 'ints':
      return Array.isArray(value) && value.every((v) => Number.isInteger(v));
    case 'floats':
      return Array.isArray(value) && value.every((v) => typeof v === 'number');
    case 'string':
      return typeof value === 'string';
    case 'graph':
    case 'tensor':
      return typeof value === 'object' && value !== null && (value as { kind?: string }).kind === (type === 'graph' ? 'graph' : 'tensor');
  }
}

/** Every value a node reads, including the outer values its subgraphs read. */
export function valuesRead(node: Node): Value[] {
  const read = node.inputs.filter((v): v is Value => v !== null);
  for (const attr of Object.values(node.attrs)) {
    if (typeof attr === 'object' && attr !== null && 'kind' in attr && attr.kind === 'graph') {
      for (const inner of attr.nodes) read.push(...valuesRead(inner));
    }
  }
  return read;
}
