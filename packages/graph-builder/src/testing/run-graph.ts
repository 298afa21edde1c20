/** Run a builder's graph in onnxruntime-node, for tests of the op table's forward rules. */
import * as ort from 'onnxruntime-node';
import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';
import { serializeModel } from '../onnx/serialize.js';

export interface Fed {
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

export interface RunOutput {
  readonly dims: number[];
  readonly data: number[];
}

const typeOf = (data: Fed['data']) =>
  data instanceof Float64Array ? 'float64' : data instanceof Float32Array ? 'float32' : data instanceof BigInt64Array ? 'int64' : data instanceof Int32Array ? 'int32' : 'bool';

/**
 * Mark `outputs` as the graph's outputs (by name), run it on `feeds` and return each output's
 * dims and elements as numbers. Every output's run-time dims are checked against the dims
 * the shape rules inferred (a symbolic dim matches any size).
 */
export async function runGraph(b: GraphBuilder, outputs: Readonly<Record<string, Value>>, feeds: Readonly<Record<string, Fed>>, opset?: number): Promise<Record<string, RunOutput>> {
  for (const [name, v] of Object.entries(outputs)) b.output(v, name);
  const graph = b.close('test');
  const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: b.initializersOf(graph), ...(opset && { opset }) }));
  try {
    const given = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor(typeOf(f.data), f.data, f.dims)]));
    const result = await session.run(given);
    return Object.fromEntries(
      Object.entries(outputs).map(([name, v]) => {
        const t = result[name]!;
        const dims = [...t.dims];
        const inferred = v.shape.map((d, i) => (typeof d === 'number' ? d : dims[i]));
        if (dims.length !== v.shape.length || inferred.some((d, i) => d !== dims[i])) {
          throw new Error(`runGraph: output ${name} has dims [${dims.join(', ')}] at run time, the shape rules said [${v.shape.join(', ')}]`);
        }
        return [name, { dims, data: Array.from(t.data as ArrayLike<number | bigint | boolean>, Number) }];
      }),
    );
  } finally {
    await session.release();
  }
}

export const f32 = (dims: readonly number[], values: readonly number[]): Fed => ({ dims, data: Float32Array.from(values) });
export const f64 = (dims: readonly number[], values: readonly number[]): Fed => ({ dims, data: Float64Array.from(values) });
export const i64 = (dims: readonly number[], values: readonly number[]): Fed => ({ dims, data: BigInt64Array.from(values, (v) => BigInt(v)) });
