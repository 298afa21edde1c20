import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { loadModel, type TensorInfo } from '@onnxpipe/runtime';
import { formatShape } from './shape.js';
import { elementCount } from '@onnxpipe/graph-builder';

export interface ModelSummary {
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
  opset: number;
  irVersion: number;
  producer: { name: string; version: string };
  /** Elements in all initializers. */
  parameters: number;
  /** Nodes in the main graph (not counting subgraphs). */
  nodes: number;
}

/** Counts initializer elements and main-graph nodes of an encoded ONNX model. */
export function countGraph(bytes: Uint8Array): { parameters: number; nodes: number } {
  const graph = onnxProto.onnx.ModelProto.decode(bytes).graph;
  const parameters = (graph?.initializer ?? []).reduce((sum, t) => sum + elementCount((t.dims ?? []).map(Number)), 0);
  return { parameters, nodes: graph?.node?.length ?? 0 };
}

/** Loads the model (so onnxruntime checks it) and reads what `inspect` shows. */
export async function summarizeModel(path: string): Promise<ModelSummary> {
  const model = await loadModel(path);
  try {
    const { inputs, outputs, opset, irVersion, producer } = model;
    return { inputs, outputs, opset, irVersion, producer, ...countGraph(await readFile(path)) };
  } finally {
    await model.close();
  }
}

const table = (rows: readonly string[][]) => {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`);
};

/** Human-readable summary, one fact per line. */
export function formatSummary(path: string, s: ModelSummary): string {
  const tensors = (infos: readonly TensorInfo[]) => table(infos.map((t) => [t.name, t.dtype, formatShape(t.shape)]));
  const producer = [s.producer.name, s.producer.version].filter(Boolean).join(' ') || 'unknown';
  return [
    `model       ${path}`,
    `producer    ${producer}`,
    `ir version  ${s.irVersion}`,
    `opset       ${s.opset}`,
    `parameters  ${s.parameters.toLocaleString('en-US')}`,
    `nodes       ${s.nodes}`,
    'inputs',
    ...tensors(s.inputs),
    'outputs',
    ...tensors(s.outputs),
  ].join('\n');
}
