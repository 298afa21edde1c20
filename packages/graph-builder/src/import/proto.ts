import onnxProto from 'onnx-proto';
import type { AttrValue, DType, TensorConst } from '../ir/types.js';
import { dtypeFromOnnx } from '../onnx/dtypes.js';
import { elementCount } from '../ir/element-count.js';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

/** protobufjs gives int64 fields as Long objects or numbers. */
export const int = (v: number | { toNumber(): number } | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new Error(`importOnnx: expected the model's bytes as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(`importOnnx: the bytes are not an ONNX model (${(error as Error).message})`, { cause: error });
  }
  if (!model.graph) throw new Error('importOnnx: the model has no graph');
  return model;
}

const byteWidth: Partial<Record<DType, number>> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1 };

/** A TensorProto's contents, from raw_data or the typed fields. */
export function tensorFromProto(t: TensorProto, where: string): TensorConst {
  if ((t.externalData?.length ?? 0) > 0 || t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new Error(`${where}: tensor '${t.name}' keeps its data in an external file; only models with their weights inside are supported`);
  }
  let dtype: DType;
  try {
    dtype = dtypeFromOnnx(t.dataType ?? 0);
  } catch {
    throw new Error(`${where}: tensor '${t.name}' has ONNX data type ${t.dataType}; supported: float32, float64, int32, int64, bool`);
  }
  const dims = (t.dims ?? []).map(int);
  const size = elementCount(dims);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (raw) {
    if (raw.length !== size * byteWidth[dtype]!) throw new Error(`${where}: tensor '${t.name}' has ${raw.length} bytes of data for dims [${dims.join(', ')}]`);
    // A copy: protobufjs may hand out a Buffer view whose .buffer is a larger shared pool.
    const buffer = Uint8Array.prototype.slice.call(raw).buffer;
    const data = { float32: () => new Float32Array(buffer), float64: () => new Float64Array(buffer), int32: () => new Int32Array(buffer), int64: () => new BigInt64Array(buffer), bool: () => Array.from(raw, (x) => x !== 0) }[dtype]();
    return { kind: 'tensor', dtype, dims, data };
  }
  const fields = {
    float32: () => Float32Array.from(t.floatData ?? []),
    float64: () => Float64Array.from(t.doubleData ?? []),
    int32: () => Int32Array.from(t.int32Data ?? []),
    int64: () => BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(int(v)))),
    bool: () => (t.int32Data ?? []).map((v) => v !== 0),
  }[dtype]();
  if (fields.length !== size) throw new Error(`${where}: tensor '${t.name}' has ${fields.length} values for dims [${dims.join(', ')}]`);
  return { kind: 'tensor', dtype, dims, data: fields };
}

/** A node's attributes as the builder takes them (subgraphs are refused: If, Loop and Scan are not supported). */
export function attributesOf(node: NodeProto, where: string): Record<string, AttrValue> {
  const T = onnx.AttributeProto.AttributeType;
  const out: Record<string, AttrValue> = {};
  for (const a of node.attribute ?? []) {
    const name = a.name ?? '';
    switch (a.type) {
      case T.INT:
        out[name] = int(a.i);
        break;
      case T.FLOAT:
        out[name] = a.f ?? 0;
        break;
      case T.INTS:
        out[name] = (a.ints ?? []).map(int);
        break;
      case T.FLOATS:
        out[name] = [...(a.floats ?? [])];
        break;
      case T.STRING:
        out[name] = new TextDecoder().decode(a.s ?? new Uint8Array());
        break;
      case T.TENSOR:
        out[name] = tensorFromProto(a.t ?? {}, `${where}, attribute ${name}`);
        break;
      default:
        throw new Error(`${where}: attribute '${name}' has a type onnxpipe does not import (${a.type}); subgraphs (If, Loop, Scan) are not supported`);
    }
  }
  return out;
}
