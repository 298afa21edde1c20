import type { ModelProto } from './proto.js';

/**
 * The decoded file of each imported model, which exportInference writes back with new weights.
 * Kept out of ImportedModel's declaration so that the package's types do not carry onnx-proto's
 * (they need protobufjs's global `Long`, and fail a user's type check under skipLibCheck: false).
 */
const sources = new WeakMap<object, ModelProto>();

export function rememberSource(model: object, source: object): void {
  sources.set(model, source as ModelProto);
}

export function sourceOf(model: object): ModelProto {
  const source = sources.get(model);
  if (!source) throw new Error('exportInference: this model was not made by importOnnx');
  return source;
}
