import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** A graph input or output: `null` dims are left unnamed, and `shape: null` leaves the rank undeclared. */
export interface ValueSpec {
  name: string;
  shape: (number | string | null)[] | null;
  /** `TensorProto.DataType`; float32 when absent. */
  elemType?: number;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes, e.g. Cast's `to`. */
  attributes?: Record<string, number>;
}

export interface ModelSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  /** float32 initializers. */
  initializers?: { name: string; dims: number[]; values: number[] }[];
  opset?: number;
  irVersion?: number;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function valueInfo({ name, shape, elemType = FLOAT }: ValueSpec) {
  const dim = (d: number | string | null) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d });
  return { name, type: { tensorType: { elemType, ...(shape ? { shape: { dim: shape.map(dim) } } : {}) } } };
}

/** Encodes a small model by hand with onnx-proto (opset 17, IR version 8 unless told). */
export function encodeModel(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: spec.irVersion ?? 8,
    producerName: 'handmade',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: 'handmade',
      node: spec.nodes.map((n, i) => ({
        name: `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i })),
      })),
      initializer: (spec.initializers ?? []).map(({ name, dims, values }) => ({ name, dims, dataType: FLOAT, floatData: values })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  }).finish();
}

/** Weights of `affineModel`: `y = a·Wa + features·Wf + b`, `relu = max(y, 0)`. */
export const AFFINE = {
  Wa: [
    [0.5, -1.25],
    [2, 0.75],
  ],
  Wf: [
    [1, -0.5],
    [-2, 0.25],
    [0.125, 3],
  ],
  b: [0.1, -0.2],
};

/** Inputs `a` [N, 2] and `features` [N, 3] (symbolic batch 'N'); outputs `y` and `relu` [N, 2]; MatMul + Add + Relu. */
export function affineModel(): Uint8Array {
  return encodeModel({
    inputs: [
      { name: 'a', shape: ['N', 2] },
      { name: 'features', shape: ['N', 3] },
    ],
    outputs: [
      { name: 'y', shape: ['N', 2] },
      { name: 'relu', shape: ['N', 2] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['a', 'Wa'], outputs: ['ha'] },
      { op: 'MatMul', inputs: ['features', 'Wf'], outputs: ['hf'] },
      { op: 'Add', inputs: ['ha', 'hf'], outputs: ['h'] },
      { op: 'Add', inputs: ['h', 'b'], outputs: ['y'] },
      { op: 'Relu', inputs: ['y'], outputs: ['relu'] },
    ],
    initializers: [
      { name: 'Wa', dims: [2, 2], values: AFFINE.Wa.flat() },
      { name: 'Wf', dims: [3, 2], values: AFFINE.Wf.flat() },
      { name: 'b', dims: [2], values: AFFINE.b },
    ],
  });
}

const matMul = (x: number[][], w: number[][]) =>
  x.map((row) => (w[0] ?? []).map((_, j) => row.reduce((sum, v, k) => sum + v * (w[k]?.[j] ?? 0), 0)));

/** `affineModel`'s forward pass in plain TypeScript. */
export function affineForward(a: number[][], features: number[][]): { y: number[][]; relu: number[][] } {
  const ha = matMul(a, AFFINE.Wa);
  const hf = matMul(features, AFFINE.Wf);
  const y = ha.map((row, i) => row.map((v, j) => v + (hf[i]?.[j] ?? 0) + (AFFINE.b[j] ?? 0)));
  return { y, relu: y.map((row) => row.map((v) => Math.max(v, 0))) };
}

/**
 * A float16 model: `h` float16 [N] and `f` float32 [N] in; `h_copy` (Identity of h, float16), `h_as_float`
 * (h cast to float32 by onnxruntime) and `f_as_half` (f cast to float16 by onnxruntime) out.
 */
export function float16Model(): Uint8Array {
  const { FLOAT16 } = onnx.TensorProto.DataType;
  return encodeModel({
    inputs: [
      { name: 'h', shape: ['N'], elemType: FLOAT16 },
      { name: 'f', shape: ['N'] },
    ],
    outputs: [
      { name: 'h_copy', shape: ['N'], elemType: FLOAT16 },
      { name: 'h_as_float', shape: ['N'] },
      { name: 'f_as_half', shape: ['N'], elemType: FLOAT16 },
    ],
    nodes: [
      { op: 'Identity', inputs: ['h'], outputs: ['h_copy'] },
      { op: 'Cast', inputs: ['h'], outputs: ['h_as_float'], attributes: { to: FLOAT } },
      { op: 'Cast', inputs: ['f'], outputs: ['f_as_half'], attributes: { to: FLOAT16 } },
    ],
  });
}
