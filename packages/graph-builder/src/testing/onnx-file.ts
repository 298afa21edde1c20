/**
 * Hand-written ONNX files for importer tests: a ModelProto from a plain description, encoded
 * with onnx-proto directly (not through the builder under test).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

type Elem = 'float32' | 'float64' | 'int64';
const code: Record<Elem, number> = { float32: 1, int64: 7, float64: 11 };

export interface FileTensor {
  readonly name: string;
  readonly dtype: Elem;
  readonly dims: readonly (number | string)[];
}

export interface FileInitializer extends FileTensor {
  readonly data: readonly number[];
}

export interface FileNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  /** Numbers are written as INT when integral and the name is not in `floats`, arrays as INTS. */
  readonly attrs?: Readonly<Record<string, number | readonly number[] | string>>;
  readonly floats?: readonly string[];
}

export interface FileModel {
  readonly opset?: number;
  readonly inputs: readonly FileTensor[];
  readonly outputs: readonly FileTensor[];
  readonly initializers?: readonly FileInitializer[];
  readonly nodes: readonly FileNode[];
  readonly extraOpsets?: readonly { readonly domain: string; readonly version: number }[];
}

const valueInfo = (t: FileTensor) => ({
  name: t.name,
  type: { tensorType: { elemType: code[t.dtype], shape: { dim: t.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

function attribute(name: string, v: number | readonly number[] | string, floats: readonly string[]) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return floats.includes(name) || !Number.isInteger(v) ? { name, type: T.FLOAT, f: v } : { name, type: T.INT, i: v };
  return { name, type: T.INTS, ints: [...v] };
}

export function onnxFile(m: FileModel): Uint8Array {
  const initializer = (m.initializers ?? []).map((t) => {
    const bytes = t.dtype === 'float32' ? new Uint8Array(Float32Array.from(t.data).buffer) : t.dtype === 'float64' ? new Uint8Array(Float64Array.from(t.data).buffer) : new Uint8Array(BigInt64Array.from(t.data, BigInt).buffer);
    return { name: t.name, dataType: code[t.dtype], dims: t.dims as number[], rawData: bytes };
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'handmade',
    opsetImport: [{ domain: '', version: m.opset ?? 17 }, ...(m.extraOpsets ?? [])],
    graph: {
      name: 'g',
      input: m.inputs.map(valueInfo),
      output: m.outputs.map(valueInfo),
      initializer,
      node: m.nodes.map((n, i) => ({
        opType: n.op,
        name: n.name ?? `n${i}`,
        domain: n.domain ?? '',
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v, n.floats ?? [])),
      })),
    },
  }).finish();
}
