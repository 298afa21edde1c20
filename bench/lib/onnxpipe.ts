/**
 * onnxpipe contenders: the trainer (fused ONNX Loop of K steps per run, or one run per
 * step), and, for profiling, the same exported train-step model driven by a bare loop of
 * onnxruntime session.run calls with feeds stacked before the clock starts.
 */
import * as ort from 'onnxruntime-node';
import { adam, elementCount, exportTrainStep, sgd, type ModelState, type Optimizer } from '@onnxpipe/graph-builder';
import { threadOptions } from '@onnxpipe/runtime';
import { trainer, type Batch as TrainerBatch, type Device } from '@onnxpipe/trainer';
import { onnxpipeModel, type Batch, type Workload } from './workloads.js';

export interface OnnxpipeOptions {
  /** Optimizer steps per onnxruntime run; 1 is the unfused train-step model; undefined: the trainer's default. */
  readonly stepsPerRun: number | undefined;
  /** onnxruntime intra-op threads; undefined: the trainer's default (from the work of a step). */
  readonly threads: number | undefined;
  readonly device?: Device;
}

export interface OnnxpipeResult {
  readonly losses: Float64Array;
  readonly params: ModelState;
  /** Milliseconds before the first step: export, session creation. */
  readonly setupMs: number;
}

export const optimizerOf = (w: Workload): Optimizer =>
  w.optimizer.name === 'sgd'
    ? sgd({ learningRate: w.optimizer.lr })
    : adam({ learningRate: w.optimizer.lr, beta1: w.optimizer.beta1, beta2: w.optimizer.beta2, epsilon: w.optimizer.epsilon });

/** The batches as the trainer takes them: `[{ x1, x2 }, target]`, sharing the arrays. */
export function trainerBatches(w: Workload, batches: readonly Batch[]): TrainerBatch[] {
  const classes = w.layers[w.layers.length - 1]!.units;
  return batches.map((b) => [
    { x1: { data: b.x1, dims: [w.batch, w.widths[0]] }, x2: { data: b.x2, dims: [w.batch, w.widths[1]] } },
    { data: b.y, dims: [w.batch, classes] },
  ]);
}

/** `trainer(model, loss, optimizer).run(batches, init, { iterations: steps, stepsPerRun })`, losses from iterationCompleted. */
export async function trainOnnxpipe(w: Workload, init: ModelState, data: readonly TrainerBatch[], steps: number, options: OnnxpipeOptions): Promise<OnnxpipeResult> {
  const start = performance.now();
  let started = start;
  const losses = new Float64Array(steps);
  let n = 0;
  const t = trainer(onnxpipeModel(w), w.loss, optimizerOf(w), {
    log: 0,
    ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
    ...(options.device === undefined ? {} : { device: options.device }),
  })
    .on('started', () => {
      started = performance.now();
    })
    .on('iterationCompleted', (s) => {
      losses[n++] = s.loss;
    });
  const params = await t.run(data, init, { epochs: 1, iterations: steps, ...(options.stepsPerRun === undefined ? {} : { stepsPerRun: options.stepsPerRun }) });
  if (n !== steps) throw new Error(`onnxpipe ran ${n} steps, expected ${steps}`);
  return { losses, params, setupMs: started - start };
}

/**
 * The profile baseline: exportTrainStep + session.run in a plain loop, feeds stacked ahead
 * of time, parameters fed back from the outputs. What remains is onnxruntime itself.
 */
export async function trainRawOrt(w: Workload, init: ModelState, batches: readonly Batch[], steps: number, options: OnnxpipeOptions & { readonly stepsPerRun: number }): Promise<OnnxpipeResult & { exportMs: number }> {
  const K = options.stepsPerRun;
  const classes = w.layers[w.layers.length - 1]!.units;
  const chunks: Record<string, ort.Tensor>[] = [];
  for (let s = 0; s < steps; s += K) {
    const k = Math.min(K, steps - s);
    const part = batches.slice(s, s + k);
    const stack = (pick: (b: Batch) => Float32Array, width: number) => {
      const data = new Float32Array(k * w.batch * width);
      part.forEach((b, i) => data.set(pick(b), i * w.batch * width));
      return new ort.Tensor('float32', data, K === 1 ? [w.batch, width] : [k, w.batch, width]);
    };
    chunks.push({ x1: stack((b) => b.x1, w.widths[0]), x2: stack((b) => b.x2, w.widths[1]), target: stack((b) => b.y, classes) });
  }

  const start = performance.now();
  const model = exportTrainStep(onnxpipeModel(w), { loss: w.loss, optimizer: optimizerOf(w), stepsPerRun: K });
  const exportMs = performance.now() - start;
  const sig = model.signature;
  const session = await ort.InferenceSession.create(model.bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // the thread settings the trainer gives a session of that many threads
    ...(options.threads === undefined ? {} : threadOptions(options.threads)),
  });
  let state: Record<string, ort.Tensor> = {};
  for (const p of sig.params) state[p.name] = new ort.Tensor('float32', init[p.name]!.data as Float32Array, p.dims);
  for (const s of sig.state) state[s.name] = new ort.Tensor('float32', new Float32Array(elementCount(s.dims)), s.dims);
  const lr = new ort.Tensor('float32', Float32Array.of(w.optimizer.lr), []);
  const setupMs = performance.now() - start;

  const losses = new Float64Array(steps);
  let step = 0;
  for (const chunk of chunks) {
    const out = await session.run({ ...chunk, ...state, lr, step: new ort.Tensor('float32', Float32Array.of(step + 1), []) });
    const l = out.loss!.data as Float32Array;
    losses.set(l, step);
    step += l.length;
    const next: Record<string, ort.Tensor> = {};
    for (const p of [...sig.params, ...sig.state]) next[p.name] = out[p.next]!;
    state = next;
  }
  const params: ModelState = {};
  for (const p of sig.params) params[p.name] = { data: state[p.name]!.data as Float32Array, dims: [...p.dims] };
  await session.release();
  return { losses, params, setupMs, exportMs };
}
