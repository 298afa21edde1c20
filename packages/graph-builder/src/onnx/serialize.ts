import onnxProto from 'onnx-proto';
import { onnxDataType } from './dtypes.js';
import type { AttrValue, Initializer, Node, SubGraph, TensorConst, Value } from '../ir/types.js';
import { ops, type OpName } from '../ops/index.js';
import type { AttrType } from '../ops/types.js';
import { IR_VERSION, OPSET, PRODUCER } from './versions.js';

const { onnx } = onnxProto;

function valueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === '?' ? {} : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: onnxDataType[v.dtype], shape: { dim } } } };
}

function rawBytes(t: TensorConst): Uint8Array {
  const data = t.data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return Uint8Array.from(data as ArrayLike<boolean | number>, (x) => (x ? 1 : 0));
}

export function tensorProto(name: string, t: TensorConst): onnxProto.onnx.ITensorProto {
  return { name, dims: [...t.dims], dataType: onnxDataType[t.dtype], rawData: rawBytes(t) };
}

/** One attribute, written with the ONNX type its op's schema gives it. */
function attribute(name: string, type: AttrType, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (type) {
    case 'int':
      return { name, type: T.INT, i: v as number };
    case 'float':
      return { name, type: T.FLOAT, f: v as number };
    case 'ints':
      return { name, type: T.INTS, ints: [...(v as readonly number[])] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...(v as readonly number[])] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(v as string) };
    case 'graph':
      return { name, type: T.GRAPH, g: graphProto(v as SubGraph, []) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto(name, v as TensorConst) };
  }
}

function nodeProto(n: Node): onnxProto.onnx.INodeProto {
  return {
    name: n.name,
    opType: n.op,
    domain: '',
    input: n.inputs.map((v) => v?.name ?? ''),
    output: n.outputs.map((v) => v.name),
    attribute: Object.keys(n.attrs)
      .sort()
      .map((k) => attribute(k, ops[n.op as OpName].attrs[k as never]!['type'], n.attrs[k]!)),
  };
}

function graphProto(g: SubGraph, initializers: readonly Initializer[]): onnxProto.onnx.IGraphProto {
  return {
    name: g.name,
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    node: g.nodes.map(nodeProto),
    initializer: initializers.map((i) => tensorProto(i.value.name, i.data)),
  };
}

export interface ModelDescription {
  readonly graph: SubGraph;
  readonly initializers: readonly Initializer[];
  readonly docString?: string;
  /** The default-domain opset to declare, OPSET unless given (an op newer than 18, e.g. Gelu at 20, needs it). */
  readonly opset?: number;
}

export function serializeModel({ graph, initializers, docString, opset = OPSET }: ModelDescription): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: opset }],
    producerName: PRODUCER,
    producerVersion: '0.1.0',
    docString: docString ?? '',
    graph: graphProto(graph, initializers),
  });
  return onnx.ModelProto.encode(model).finish();
}
