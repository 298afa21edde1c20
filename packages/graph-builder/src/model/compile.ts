import type { GraphBuilder } from '../ir/builder.js';
import { NameAuthority } from '../ir/names.js';
import { OPSET } from '../onnx/versions.js';
import type { DType, Shape, Value } from '../ir/types.js';
import { asModel, type ModelLike } from './model.js';
import type { Layer, LowerContext, ParamSpec, SymbolicTensor } from './symbolic.js';

/**
 * How a train step treats a parameter. 'trainable': gradient and optimizer. 'state': fed and
 * updated by its layer (batch-norm statistics). 'frozen': a constant of the step (imported
 * weights left out of training).
 */
export type ParamRole = 'trainable' | 'state' | 'frozen';

export interface CompiledParam extends ParamSpec {
  /** `<layer>.<param>`, e.g. `dense_0.kernel` (or the spec's full name). */
  readonly name: string;
  readonly dtype: DType;
  readonly trainable: boolean;
  readonly role: ParamRole;
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
  /** The default-domain opset the model's graphs are written for: the builder's, or an imported model's if higher. */
  readonly opset: number;
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
    const dtype = tensors.get(layer)!.dtype;
    for (const [param, spec] of Object.entries(layer.params)) {
      const fullName = spec.fullName ?? `${name}.${param}`;
      // A weight shared by several layers (an imported tied embedding) is one parameter.
      const shared = params.find((p) => p.name === fullName);
      if (shared) {
        if (shared.shape.join() !== spec.shape.join()) throw new Error(`parameter '${fullName}' is used with dims [${shared.shape.join(', ')}] and [${spec.shape.join(', ')}]`);
        continue;
      }
      const trainable = spec.trainable ?? true;
      const role: ParamRole = trainable ? 'trainable' : spec.initial ? 'frozen' : 'state';
      params.push({ ...spec, name: fullName, dtype, trainable, role });
    }
  }

  const outputNames = new Set<string>();
  const compiledOutputs = outputs.map(({ name, tensor }) => {
    const outName = name ?? layerNames.get(tensor.layer)!;
    if (outputNames.has(outName)) throw new Error(`two model outputs are named '${outName}'`);
    if (inputs.some((i) => i.name === outName) && tensor.layer.kind !== 'input') throw new Error(`output name '${outName}' is already an input name`);
    outputNames.add(outName);
    return { name: outName, tensor };
  });
  const opset = Math.max(OPSET, ...layers.map((l) => l.opset ?? OPSET));
  return { layers, tensors, layerNames, inputs, outputs: compiledOutputs, params, opset };
}

export interface ForwardBindings {
  readonly inputs: Readonly<Record<string, Value>>;
  readonly params: Readonly<Record<string, Value>>;
  readonly training: boolean;
}

export interface Forward {
  /** Output values by output name. */
  readonly outputs: Record<string, Value>;
  /** In a train step: the new values of non-trainable parameters, by parameter name. */
  readonly updates: Record<string, Value>;
}

/**
 * A layer's value as stored: `channelsFirst` when its logical shape is channels last
 * (`[batch, …spatial, channels]`) but it is stored channels first, as onnxruntime's Conv and
 * pooling want. The layout changes only where a layer needs the other one: a chain of
 * convolutions, pools, batch norms and activations is transposed once on the way in and
 * once on the way out.
 */
interface Stored {
  readonly value: Value;
  readonly channelsFirst: boolean;
}

const toChannelsFirst = (b: GraphBuilder, v: Value): Value => {
  const rank = v.shape.length;
  return b.op('Transpose', [v], { perm: [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)] });
};

const toChannelsLast = (b: GraphBuilder, v: Value): Value => {
  const rank = v.shape.length;
  return b.op('Transpose', [v], { perm: [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1] });
};

/** The stored value in the layout `layer` asks for, and whether its output will be stored channels first. */
function arrange(b: GraphBuilder, layer: Layer, inputs: readonly Stored[], channelsLast: Map<Value, Value>): { values: Value[]; channelsFirst: boolean } {
  const policy = layer.layout ?? 'logical';
  const logical = (s: Stored) => {
    if (!s.channelsFirst) return s.value;
    const made = channelsLast.get(s.value) ?? toChannelsLast(b, s.value);
    channelsLast.set(s.value, made);
    return made;
  };
  if (policy === 'channels-first') return { values: inputs.map((s) => (s.channelsFirst ? s.value : toChannelsFirst(b, s.value))), channelsFirst: true };
  if (policy === 'preserve' && inputs.every((s) => s.channelsFirst === inputs[0]!.channelsFirst)) {
    return { values: inputs.map((s) => s.value), channelsFirst: inputs[0]?.channelsFirst ?? false };
  }
  return { values: inputs.map(logical), channelsFirst: false };
}

/** Emit the model's forward pass into `b`. */
export function emitForward(b: GraphBuilder, compiled: CompiledModel, bind: ForwardBindings): Forward {
  const stored = new Map<Layer, Stored>();
  const updates: Record<string, Value> = {};
  const channelsLast = new Map<Value, Value>();
  for (const layer of compiled.layers) {
    const name = compiled.layerNames.get(layer)!;
    if (layer.kind === 'input') {
      const bound = bind.inputs[name];
      if (!bound) throw new Error(`input '${name}' is not bound`);
      stored.set(layer, { value: bound, channelsFirst: false });
      continue;
    }
    const fullName = (p: string) => layer.params[p]!.fullName ?? `${name}.${p}`;
    const params = Object.fromEntries(Object.keys(layer.params).map((p) => [p, bind.params[fullName(p)]!]));
    const value = b.scoped(name, () => {
      const { values, channelsFirst } = arrange(b, layer, layer.inputs.map((t) => stored.get(t.layer)!), channelsLast);
      const ctx: LowerContext = {
        b,
        training: bind.training,
        axis: (logical, rank) => {
          const a = logical < 0 ? logical + rank : logical;
          if (!channelsFirst || rank < 3) return a;
          return a === rank - 1 ? 1 : a === 0 ? 0 : a + 1;
        },
        update: (param, v) => {
          if (!layer.params[param] || layer.params[param].trainable !== false) throw new Error(`layer '${name}': '${param}' is not a non-trainable parameter of it`);
          if (bind.training) updates[fullName(param)] = v;
        },
      };
      const out = layer.lower(ctx, values, params);
      return { value: out, channelsFirst: channelsFirst && out.shape.length >= 3 };
    });
    stored.set(layer, value);
  }
  const outputs = Object.fromEntries(
    compiled.outputs.map((o) => {
      const s = stored.get(o.tensor.layer)!;
      return [o.name, s.channelsFirst ? (channelsLast.get(s.value) ?? toChannelsLast(b, s.value)) : s.value];
    }),
  );
  return { outputs, updates };
}
