import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { flopsPerRow } from './cost.js';
import { DTYPES, dtypeFromOnnx } from './dtypes.js';
import { ModelLoadError } from './errors.js';
import type { Dim, TensorInfo } from './types.js';

const { onnx } = onnxProto;

export interface ModelInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  opset: number;
  irVersion: number;
  producer: { name: string; version: string };
  /** Estimated FLOPs of one row of the batch (see cost.ts): what the thread count is chosen from. */
  flopsPerRow: number;
}

type IntLike = number | { toNumber(): number };

const NON_TENSOR_TYPES = {
  sequenceType: 'a sequence',
  mapType: 'a map',
  optionalType: 'an optional',
  sparseTensorType: 'a sparse tensor',
} as const;

const toNumber = (value: IntLike | null | undefined): number =>
  value === null || value === undefined ? 0 : typeof value === 'number' ? value : value.toNumber();

/** Decodes the model bytes, checks that they hold a usable ONNX model and reads its metadata. */
export function readModelInfo(bytes: Uint8Array, label: string): ModelInfo {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelLoadError(
      `${label} is not a valid ONNX model (corrupted, truncated or another kind of file): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const invalid = (why: string) => new ModelLoadError(`${label} is not a valid ONNX model: ${why}`);
  const irVersion = toNumber(model.irVersion);
  if (irVersion < 1) throw invalid('it declares no ir_version');
  const graph = model.graph;
  if (!graph) throw invalid('it has no graph');
  if (model.opsetImport.length === 0) throw invalid('it imports no operator set');
  if (!graph.output?.length) throw invalid('its graph has no outputs');
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const defaultOpset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const info = (role: 'input' | 'output') => (value: OnnxTypes.IValueInfoProto) => tensorInfo(value, role, label);
  return {
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(info('input')),
    outputs: graph.output.map(info('output')),
    opset: toNumber(defaultOpset?.version),
    irVersion,
    producer: { name: model.producerName, version: model.producerVersion },
    flopsPerRow: flopsPerRow(graph),
  };
}

function tensorInfo(value: OnnxTypes.IValueInfoProto, role: 'input' | 'output', label: string): TensorInfo {
  const what = `${label}: ${role} '${value.name ?? ''}'`;
  const tensorType = value.type?.tensorType;
  if (!tensorType) {
    const kind = Object.entries(NON_TENSOR_TYPES).find(([field]) => value.type?.[field as keyof typeof NON_TENSOR_TYPES]);
    throw new ModelLoadError(`${what} is ${kind ? kind[1] : 'untyped'}; only tensor ${role}s are supported`);
  }
  const elemType = tensorType.elemType ?? 0;
  const dtype = dtypeFromOnnx(elemType);
  if (!dtype) {
    const typeName: string = onnx.TensorProto.DataType[elemType] ?? `type ${elemType}`;
    throw new ModelLoadError(
      `${what} has element type ${typeName}, which is not supported (supported: ${Object.keys(DTYPES).join(', ')})`,
    );
  }
  const shape: Dim[] | null = tensorType.shape
    ? (tensorType.shape.dim ?? []).map((d) =>
        d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : '?',
      )
    : null;
  return { name: value.name ?? '', dtype, shape };
}
