import onnxProto from 'onnx-proto';
import type { ModelState } from '../state.js';
import { int, tensorFromProto, type ModelProto } from './proto.js';

const { onnx } = onnxProto;

/**
 * The decoded model with the float initializers named in `params` replaced (raw data, same dims
 * and type); an initializer whose values did not change is left exactly as it was stored.
 */
export function withWeights(source: ModelProto, params: ModelState): Uint8Array {
  const model = onnx.ModelProto.decode(onnx.ModelProto.encode(source).finish());
  for (const t of model.graph?.initializer ?? []) {
    const p = params[t.name ?? ''];
    if (!p) continue;
    const dims = (t.dims ?? []).map(int);
    const code = p.data instanceof Float64Array ? 11 : 1;
    if (dims.join() !== p.dims.join() || t.dataType !== code) {
      throw new Error(`exportInference: parameter '${t.name}' is ${p.data instanceof Float64Array ? 'float64' : 'float32'} [${p.dims.join(', ')}], the model's initializer is type ${t.dataType} [${dims.join(', ')}]`);
    }
    const before = tensorFromProto(t, 'exportInference').data as Float32Array | Float64Array;
    if (before.every((v, i) => Object.is(v, p.data[i]))) continue;
    t.rawData = new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength).slice();
    t.floatData = [];
    t.doubleData = [];
  }
  return onnx.ModelProto.encode(model).finish();
}
