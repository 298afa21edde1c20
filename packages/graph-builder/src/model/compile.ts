import type { GraphBuilder } from '../ir/builder.js';
import { NameAuthority } from '../ir/names.js';
import type { DType, Shape, Value } from '../ir/types.js';
import { asModel, type ModelLike } from './model.js';
import type { Layer, ParamSpec, SymbolicTensor } from './symbolic.js';

export interface CompiledParam extends ParamSpec {
  /** `<layer>.<param>`, e.g. `dense_0.kernel`. */
  readonly name: string;
  readonly dtype: DType;
}

export interface CompiledInput {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface CompiledOutput {
  readonly name: string;
  readonly tensor: SymbolicTensor;
}

/** A model with every layer named, in topological order: what all exports start from. */
export interface CompiledModel {
  readonly layers: readonly Layer[];
  /** The tensor each layer makes. */
  readonly tensors: ReadonlyMap<Layer, SymbolicTensor>;
  readonly layerNames: ReadonlyMap<Layer, string>;
  readonly inputs: readonly CompiledInput[];
  readonly outputs: readonly CompiledOutput[];
  readonly params: readonly CompiledParam[];
}

/** Every layer the outputs depend on, inputs before users, each with the tensor it makes. */
function topologicalOrder(outputs: readonly SymbolicTensor[]): Map<Layer, SymbolicTensor> {
  const order = new Map<Layer, SymbolicTensor>();
  const visit = (t: SymbolicTensor) => {
    if (order.has(t.layer)) return;
    t.layer.inputs.forEach(visit);
    order.set(t.layer, t);
  };
  outputs.forEach(visit);
  return order;
}

export function compile(m: ModelLike): CompiledModel {
  const { outputs } = asModel(m);
  const tensors = topologicalOrder(outputs.map((o) => o.tensor));
  const layers = [...tensors.keys()];
  const names = new NameAuthority();
  const layerNames = new Map<Layer, string>();
  for (const layer of layers) {
    if (layer.name === undefined) continue;
    if (names.has(layer.name)) {
      throw new Error(
        layer.kind === 'input'
          ? `two inputs are named '${layer.name}'; input names must be unique`
          : `two layers are named '${layer.name}'; layer names must be unique`,
      );
    }
    layerNames.set(layer, names.claim(layer.name, layer.kind));
  }
  for (const layer of layers) if (!layerNames.has(layer)) layerNames.set(layer, names.fresh(layer.kind));

  const inputs: CompiledInput[] = [];
  const params: CompiledParam[] = [];
  for (const layer of layers) {
    const name = layerNames.get(layer)!;
    if (layer.kind === 'input') {
      const tensor = tensors.get(layer)!;
      inputs.push({ name, dtype: tensor.dtype, shape: tensor.shape });
    }
    const dtype = layer.inputs[0]?.dtype ?? 'float32';
    for (const [param, spec] of Object.entries(layer.params)) params.push({ ...spec, name: `${name}.${param}`, dtype });
  }

  const outputNames = new Set<string>();
  const compiledOutputs = outputs.map(({ name, tensor }) => {
    const outName = name ?? layerNames.get(tensor.layer)!;
    if (outputNames.has(outName)) throw new Error(`two model outputs are named '${outName}'`);
    if (inputs.some((i) => i.name === outName) && tensor.layer.kind !== 'input') throw new Error(`output name '${outName}' is already an input name`);
    outputNames.add(outName);
    return { name: outName, tensor };
  });
  return { layers, tensors, layerNames, inputs, outputs: compiledOutputs, params };
}

export interface ForwardBindings {
  readonly inputs: Readonly<Record<string, Value>>;
  readonly params: Readonly<Record<string, Value>>;
  readonly training: boolean;
}

/** Emit the model's forward pass into `b`; returns the output values by output name. */
export function emitForward(b: GraphBuilder, compiled: CompiledModel, bind: ForwardBindings): Record<string, Value> {
  const values = new Map<Layer, Value>();
  for (const layer of compiled.layers) {
    const name = compiled.layerNames.get(layer)!;
    if (layer.kind === 'input') {
      const bound = bind.inputs[name];
      if (!bound) throw new Error(`input '${name}' is not bound`);
      values.set(layer, bound);
      continue;
    }
    const params = Object.fromEntries(Object.keys(layer.params).map((p) => [p, bind.params[`${name}.${p}`]!]));
    const inputs = layer.inputs.map((t) => values.get(t.layer)!);
    values.set(layer, b.scoped(name, () => layer.lower({ b, training: bind.training }, inputs, params)));
  }
  return Object.fromEntries(compiled.outputs.map((o) => [o.name, values.get(o.tensor.layer)!]));
}
