import { GraphBuilder } from './ir/builder.js';
import type { TensorConst, Value } from './ir/types.js';
import { compile, emitForward, type CompiledModel } from './model/compile.js';
import type { ModelLike } from './model/model.js';
import { serializeModel } from './onnx/serialize.js';
import { ImportedModel } from './import/import.js';
import { sourceOf } from './import/sources.js';
import { withWeights } from './import/with-weights.js';
import { checkState, type ModelState, type TensorData } from './state.js';

export const asConst = (t: TensorData): TensorConst => ({
  kind: 'tensor',
  dtype: t.data instanceof Float64Array ? 'float64' : 'float32',
  dims: t.dims,
  data: t.data,
});

/** Graph inputs for the model's data inputs, named as the user named them. */
export function dataInputs(b: GraphBuilder, compiled: CompiledModel, leading: readonly string[] = []): Record<string, Value> {
  return Object.fromEntries(compiled.inputs.map((i) => [i.name, b.input(i.name, i.dtype, [...leading, ...i.shape])]));
}

/**
 * The inference model: data inputs → outputs, parameters stored as initializers. For a model
 * read by importOnnx: the original file with the new weights (same nodes, names, opsets and
 * metadata; initializers not in `params`, or unchanged, byte for byte as they were).
 */
export function exportInference(m: ModelLike, params: ModelState): Uint8Array {
  const compiled = compile(m);
  checkState(compiled, params, 'exportInference');
  if (m instanceof ImportedModel) return withWeights(sourceOf(m), params);
  const b = new GraphBuilder();
  const inputs = dataInputs(b, compiled);
  const paramValues = Object.fromEntries(compiled.params.map((p) => [p.name, b.initializer(p.name, asConst(params[p.name] ?? p.initial!))]));
  const { outputs } = emitForward(b, compiled, { inputs, params: paramValues, training: false });
  for (const [name, value] of Object.entries(outputs)) b.output(value, name);
  const graph = b.close('onnxpipe_inference');
  return serializeModel({ graph, initializers: b.initializersOf(graph), opset: compiled.opset });
}

/**
 * A model that copies each input to the output `<name>.copy`: run on a device session, it
 * brings device-resident tensors back to the host.
 */
export function exportCopy(tensors: readonly { readonly name: string; readonly dtype: 'float32' | 'float64'; readonly dims: readonly number[] }[]): Uint8Array {
  const b = new GraphBuilder();
  for (const t of tensors) b.output(b.op('Identity', [b.input(t.name, t.dtype, t.dims)]), `${t.name}.copy`);
  const graph = b.close('onnxpipe_copy');
  return serializeModel({ graph, initializers: [] });
}
