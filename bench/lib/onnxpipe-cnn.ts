/**
 * onnxpipe on the CNN workloads: the network of a CnnConfig built with the graph-builder's layers
 * and trained by the trainer. Parameters cross over in the reference layout of cnn-reference.ts:
 * onnxpipe's conv kernels are [filters, in, k, k] (ONNX), the reference's (and TF.js's) [k, k, in, filters].
 */
import { adam, elementCount, input, type ModelState, type SymbolicTensor } from '@onnxpipe/graph-builder';
import { trainer, type Batch } from '@onnxpipe/trainer';
import type { CnnWorkload } from './cnn.js';
import type { CnnBatch, CnnConfig } from './cnn-reference.js';
import type { RunOutput } from './harness.js';

/** The config as an onnxpipe model: parameters conv_<i>.kernel/bias, dense_<j>.kernel/bias, as in the reference. */
export function onnxpipeCnn(c: CnnConfig): SymbolicTensor {
  let h = input('image', { shape: [null, c.height, c.width, c.channels] });
  for (const conv of c.convs) h = h.conv(conv.filters, { kernelSize: conv.kernel, padding: conv.padding, activation: 'relu' }).maxPool({ kernelSize: 2 });
  h = h.flatten();
  for (const units of c.hidden) h = h.dense(units, { activation: 'relu' });
  return h.dense(c.classes, { activation: 'softmax' });
}

/** Moves the axes of a row-major tensor: `order[i]` is the source axis of result axis i. */
function transpose(data: ArrayLike<number>, dims: readonly number[], order: readonly number[]): { data: Float32Array; dims: number[] } {
  const outDims = order.map((a) => dims[a]!);
  const strides = dims.map((_, i) => elementCount(dims.slice(i + 1)));
  const out = new Float32Array(data.length);
  const index = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let i = 0; i < order.length; i++) from += index[i]! * strides[order[i]!]!;
    out[o] = data[from]!;
    for (let i = order.length - 1; i >= 0; i--) {
      if (++index[i]! < outDims[i]!) break;
      index[i] = 0;
    }
  }
  return { data: out, dims: outDims };
}

/** [k, k, in, filters] → [filters, in, k, k] for conv kernels; other parameters as they are. */
export const toOnnxpipeLayout = (params: ModelState): ModelState =>
  Object.fromEntries(Object.entries(params).map(([name, t]) => [name, name.startsWith('conv_') && t.dims.length === 4 ? transpose(t.data, t.dims, [3, 2, 0, 1]) : { data: Float32Array.from(t.data), dims: [...t.dims] }]));

/** [filters, in, k, k] → [k, k, in, filters]. */
export const fromOnnxpipeLayout = (params: ModelState): ModelState =>
  Object.fromEntries(Object.entries(params).map(([name, t]) => [name, name.startsWith('conv_') && t.dims.length === 4 ? transpose(t.data, t.dims, [2, 3, 1, 0]) : t]));

export interface CnnRunOptions {
  /** Optimizer steps per onnxruntime run; undefined: the trainer's default. */
  readonly stepsPerRun: number | undefined;
  /** onnxruntime intra-op threads; undefined: the trainer's default (from the work of a step). */
  readonly threads: number | undefined;
}

/** The trainer's loss and optimizer for the workload (also what trainerDefaults needs). */
export const cnnTrainOptions = (w: CnnWorkload) => {
  const { lr, beta1, beta2, epsilon } = w.optimizer;
  return { loss: 'sparse_categorical_cross_entropy' as const, optimizer: adam({ learningRate: lr, beta1, beta2, epsilon }), targetDType: 'int32' as const };
};

/** The trainer on `steps` batches from `init` (reference layout); every step's loss from iterationCompleted. */
export async function trainOnnxpipeCnn(w: CnnWorkload, init: ModelState, batches: readonly CnnBatch[], steps: number, o: CnnRunOptions): Promise<RunOutput> {
  const start = performance.now();
  let started = start;
  const { height, width, channels } = w.config;
  const data: Batch[] = batches.map((b) => [{ image: { data: b.images, dims: [b.labels.length, height, width, channels] } }, { data: b.labels, dims: [b.labels.length] }]);
  const losses = new Float64Array(steps);
  let n = 0;
  const { loss, optimizer, targetDType } = cnnTrainOptions(w);
  const params = await trainer(onnxpipeCnn(w.config), loss, optimizer, {
    log: 0,
    targetDType,
    ...(o.threads === undefined ? {} : { intraOpNumThreads: o.threads }),
  })
    .on('started', () => {
      started = performance.now();
    })
    .on('iterationCompleted', (s) => {
      losses[n++] = s.loss;
    })
    .run(data, toOnnxpipeLayout(init), { epochs: 1, iterations: steps, ...(o.stepsPerRun === undefined ? {} : { stepsPerRun: o.stepsPerRun }) });
  if (n !== steps) throw new Error(`onnxpipe ran ${n} steps, expected ${steps}`);
  return { losses, params: fromOnnxpipeLayout(params), setupMs: started - start };
}
