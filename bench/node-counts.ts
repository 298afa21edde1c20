/**
 * Nodes of each benchmark workload's train step, as the trainer exports it by default (no
 * predictions without a metric), fused (the Scan body of a run of 128 steps) and unfused (K=1,
 * the whole graph), and after onnxruntime's optimizer (level 'all', one thread, read back from
 * `optimizedModelFilePath`). Transpose nodes are counted apart: a dense step should have none.
 * Counts, not timings: the optimized ones depend on the CPU (level 'all' includes onnxruntime's
 * NCHWc layout rewrites on x86).
 *
 *   tsx --conditions=source bench/node-counts.ts [--out bench/results/node-counts.json]
 */
import { mkdtemp, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { adamw, exportTrainStep, type ModelLike, type TrainStepOptions } from '@onnxpipe/graph-builder';
import { mnistMlp } from '../models/mnist/model.js';
import { cnn, cnnTiny } from './lib/cnn.js';
import { machine } from './lib/harness.js';
import { optimizerOf } from './lib/onnxpipe.js';
import { cnnTrainOptions, onnxpipeCnn } from './lib/onnxpipe-cnn.js';
import { mlp, onnxpipeModel, xor, type Workload } from './lib/workloads.js';

const { values: args } = parseArgs({ options: { out: { type: 'string' } } });

interface Count {
  readonly nodes: number;
  readonly transposes: number;
}

/** The nodes of the Scan body when the step is fused, else of the whole graph. */
function countStep(bytes: Uint8Array): Count {
  const graph = onnxProto.onnx.ModelProto.decode(bytes).graph;
  if (!graph) throw new Error('node-counts: a model without a graph');
  const scans = (graph.node ?? []).filter((n) => n.opType === 'Scan');
  if (scans.length > 1) throw new Error(`node-counts: ${scans.length} Scan nodes, expected at most 1`);
  const body = scans[0]?.attribute?.find((a) => a.name === 'body')?.g;
  const nodes = (scans.length ? body?.node : graph.node) ?? [];
  return { nodes: nodes.length, transposes: nodes.filter((n) => n.opType === 'Transpose').length };
}

async function optimizedCount(bytes: Uint8Array): Promise<Count> {
  const dir = await mkdtemp(join(tmpdir(), 'onnxpipe-node-counts-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3, optimizedModelFilePath: path });
    await session.release();
    return countStep(await readFile(path));
  } finally {
    await rm(dir, { recursive: true });
  }
}

const dense = (w: Workload) => ({ model: onnxpipeModel(w), options: { loss: w.loss, optimizer: optimizerOf(w) } });
const steps: { readonly name: string; readonly model: ModelLike; readonly options: Omit<TrainStepOptions, 'stepsPerRun' | 'predictions'> }[] = [
  { name: 'XOR', ...dense(xor()) },
  { name: 'MLP / Adam', ...dense(mlp()) },
  { name: 'tiny CNN / Adam', model: onnxpipeCnn(cnnTiny().config), options: cnnTrainOptions(cnnTiny()) },
  { name: 'CNN / Adam', model: onnxpipeCnn(cnn().config), options: cnnTrainOptions(cnn()) },
  { name: 'MNIST MLP / AdamW', model: mnistMlp(500), options: { loss: 'sparse_categorical_cross_entropy', optimizer: adamw({ learningRate: 1e-3, weightDecay: 1e-4 }), targetDType: 'int32' } },
];

const rows: { step: string; stepsPerRun: number; exported: Count; optimized: Count }[] = [];
console.log('| step graph | exported | optimized | Transpose nodes (exported / optimized) |\n|:--|--:|--:|--:|');
for (const s of steps) {
  for (const stepsPerRun of [128, 1]) {
    const { bytes } = exportTrainStep(s.model, { ...s.options, stepsPerRun, predictions: false });
    const exported = countStep(bytes);
    const optimized = await optimizedCount(bytes);
    const step = `${s.name}, ${stepsPerRun === 1 ? 'one step per run (K=1, whole graph)' : 'Scan body (fused)'}`;
    rows.push({ step, stepsPerRun, exported, optimized });
    console.log(`| ${step} | ${exported.nodes} | ${optimized.nodes} | ${exported.transposes} / ${optimized.transposes} |`);
  }
}

if (args.out) {
  const path = resolve(args.out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ benchmark: 'onnxpipe train-step node counts', date: new Date().toISOString(), machine: machine(), onnxruntime: ort.env.versions.common, rows }, null, 2)}\n`);
  console.log(`\nwrote ${args.out}`);
}
