/**
 * TensorFlow.js contenders: the functional layers API (two inputs, concatenate, dense,
 * compile, trainOnBatch), a custom loop (tf.variable + optimizer.minimize), and the
 * gradients written by hand (explicit transposes, optimizer.applyGradients), on the `cpu`
 * backend or on `@tensorflow/tfjs-backend-wasm` (one thread, SIMD).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { ModelState } from '@onnxpipe/graph-builder';
import { layerShapes, type Batch, type Workload } from './workloads.js';

export type Backend = 'cpu' | 'wasm';
export type Api = 'layers' | 'custom' | 'manual';

/** Every implementation of the dense workloads, in the order the benchmark lists them. */
export const apis: readonly Api[] = ['layers', 'custom', 'manual'];
/** How the tables name each implementation. */
export const apiLabels: Readonly<Record<Api, string>> = { layers: 'layers API, trainOnBatch', custom: 'custom loop, minimize', manual: 'gradients by hand, explicit transposes' };

export interface TfResult {
  readonly losses: Float64Array;
  readonly params: ModelState;
  /** Milliseconds spent before the first step (model, optimizer, weights). */
  readonly setupMs: number;
}

let wasmReady = false;

/** Select a backend; the wasm binaries are loaded from the installed package's dist/. */
export async function useBackend(backend: Backend): Promise<void> {
  if (backend === 'wasm' && !wasmReady) {
    const dist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist/');
    setWasmPaths(dist);
    setThreadsCount(1);
    wasmReady = true;
  }
  tf.enableProdMode();
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' did not initialise`);
  await tf.ready();
}

/** What the wasm backend found: SIMD and threads. */
export const wasmFeatures = (): { simd: boolean; threads: boolean } => ({
  simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean,
  threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') as boolean,
});

const tfOptimizer = (w: Workload): tf.Optimizer =>
  w.optimizer.name === 'sgd' ? tf.train.sgd(w.optimizer.lr) : tf.train.adam(w.optimizer.lr, w.optimizer.beta1, w.optimizer.beta2, w.optimizer.epsilon);

/** Train `steps` steps on the current backend; every step's loss is read back, as the other contenders do. */
export async function trainTf(api: Api, w: Workload, init: ModelState, batches: readonly Batch[], steps: number): Promise<TfResult> {
  const start = performance.now();
  if (api === 'layers') return layersLoop(w, init, batches, steps, start);
  return api === 'custom' ? customLoop(w, init, batches, steps, start) : manualLoop(w, init, batches, steps, start);
}

async function layersLoop(w: Workload, init: ModelState, batches: readonly Batch[], steps: number, start: number): Promise<TfResult> {
  const shapes = layerShapes(w);
  const x1 = tf.input({ shape: [w.widths[0]], name: 'x1' });
  const x2 = tf.input({ shape: [w.widths[1]], name: 'x2' });
  let h = tf.layers.concatenate().apply([x1, x2]) as tf.SymbolicTensor;
  const dense = w.layers.map((l) => tf.layers.dense({ units: l.units, activation: l.activation }));
  for (const d of dense) h = d.apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [x1, x2], outputs: h });
  model.compile({ optimizer: tfOptimizer(w), loss: w.loss === 'binary_cross_entropy' ? 'binaryCrossentropy' : 'categoricalCrossentropy' });
  dense.forEach((d, l) => d.setWeights([tf.tensor(init[`dense_${l}.kernel`]!.data, shapes[l]!), tf.tensor(init[`dense_${l}.bias`]!.data, [shapes[l]![1]])]));
  const setupMs = performance.now() - start;

  const losses = new Float64Array(steps);
  const classes = shapes[shapes.length - 1]![1];
  for (let t = 0; t < steps; t++) {
    const b = batches[t % batches.length]!;
    const xs = [tf.tensor2d(b.x1, [w.batch, w.widths[0]]), tf.tensor2d(b.x2, [w.batch, w.widths[1]])];
    const y = tf.tensor2d(b.y, [w.batch, classes]);
    losses[t] = (await model.trainOnBatch(xs, y)) as number;
    tf.dispose([...xs, y]);
  }
  const params = readParams(shapes, dense.flatMap((d) => d.getWeights()));
  model.optimizer.dispose();
  model.dispose();
  return { losses, params, setupMs };
}

function customLoop(w: Workload, init: ModelState, batches: readonly Batch[], steps: number, start: number): TfResult {
  const shapes = layerShapes(w);
  const kernels = shapes.map((s, l) => tf.variable(tf.tensor(init[`dense_${l}.kernel`]!.data, s)));
  const biases = shapes.map((s, l) => tf.variable(tf.tensor(init[`dense_${l}.bias`]!.data, [s[1]])));
  const optimizer = tfOptimizer(w);
  const vars = [...kernels, ...biases];
  const last = shapes.length - 1;
  const classes = shapes[last]![1];
  const setupMs = performance.now() - start;

  const objective = (x1: tf.Tensor2D, x2: tf.Tensor2D, y: tf.Tensor2D) => (): tf.Scalar => {
    let h: tf.Tensor2D = tf.concat2d([x1, x2], 1);
    for (let l = 0; l <= last; l++) {
      const z = tf.add(tf.matMul(h, kernels[l]!), biases[l]!) as tf.Tensor2D;
      h = l === last ? z : w.layers[l]!.activation === 'tanh' ? tf.tanh(z) : tf.relu(z);
    }
    // losses from the logits: mean(softplus(z) - y·z), mean over rows of -Σ y·log_softmax(z)
    return w.loss === 'binary_cross_entropy'
      ? tf.mean<tf.Scalar>(tf.sub(tf.softplus(h), tf.mul(y, h)))
      : tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(y, tf.logSoftmax(h)), 1)));
  };

  const losses = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    const b = batches[t % batches.length]!;
    const loss = tf.tidy(() => {
      const x1 = tf.tensor2d(b.x1, [w.batch, w.widths[0]]);
      const x2 = tf.tensor2d(b.x2, [w.batch, w.widths[1]]);
      const y = tf.tensor2d(b.y, [w.batch, classes]);
      return optimizer.minimize(objective(x1, x2, y), true, vars)!;
    });
    losses[t] = loss.dataSync()[0]!;
    loss.dispose();
  }
  const params = readParams(shapes, shapes.flatMap((_, l) => [kernels[l]!, biases[l]!]));
  optimizer.dispose();
  tf.dispose(vars);
  return { losses, params, setupMs };
}

let manualRuns = 0;

/**
 * The gradients by hand, in TF.js ops: TF.js's autodiff differentiates matMul into matMuls
 * with transpose flags, which its wasm backend runs at ~0.5 GFLOP/s against ~11 GFLOP/s for a
 * matMul of an explicitly transposed copy; this loop transposes explicitly. The update is
 * the same tf.train optimizer, through applyGradients.
 */
function manualLoop(w: Workload, init: ModelState, batches: readonly Batch[], steps: number, start: number): TfResult {
  const shapes = layerShapes(w);
  const run = manualRuns++;
  const kernels = shapes.map((s, l) => tf.variable(tf.tensor(init[`dense_${l}.kernel`]!.data, s), true, `manual${run}_k${l}`));
  const biases = shapes.map((s, l) => tf.variable(tf.tensor(init[`dense_${l}.bias`]!.data, [s[1]]), true, `manual${run}_b${l}`));
  const optimizer = tfOptimizer(w);
  const last = shapes.length - 1;
  const classes = shapes[last]![1];
  const setupMs = performance.now() - start;

  const losses = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    const b = batches[t % batches.length]!;
    const loss = tf.tidy(() => {
      const y = tf.tensor2d(b.y, [w.batch, classes]);
      const inputs: tf.Tensor2D[] = [tf.concat2d([tf.tensor2d(b.x1, [w.batch, w.widths[0]]), tf.tensor2d(b.x2, [w.batch, w.widths[1]])], 1)];
      let z!: tf.Tensor2D;
      for (let l = 0; l <= last; l++) {
        z = tf.add(tf.matMul(inputs[l]!, kernels[l]!), biases[l]!);
        if (l < last) inputs.push(w.layers[l]!.activation === 'tanh' ? tf.tanh(z) : tf.relu(z));
      }
      // the loss and its gradient with respect to the logits, as the custom loop's
      let value: tf.Scalar;
      let dz: tf.Tensor2D;
      if (w.loss === 'binary_cross_entropy') {
        value = tf.mean<tf.Scalar>(tf.sub(tf.softplus(z), tf.mul(y, z)));
        dz = tf.div(tf.sub(tf.sigmoid(z), y), z.size);
      } else {
        const logp = tf.logSoftmax(z);
        value = tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(y, logp), 1)));
        dz = tf.div(tf.sub(tf.mul(tf.exp(logp), tf.sum(y, 1, true)), y), w.batch);
      }
      const grads: tf.NamedTensorMap = {};
      for (let l = last; l >= 0; l--) {
        grads[kernels[l]!.name] = tf.matMul(tf.transpose(inputs[l]!), dz);
        grads[biases[l]!.name] = tf.sum(dz, 0);
        if (l === 0) break;
        const h = inputs[l]!;
        const dh = tf.matMul(dz, tf.transpose(kernels[l]!));
        dz = w.layers[l - 1]!.activation === 'tanh' ? tf.mul(dh, tf.sub(1, tf.square(h))) : tf.mul(dh, tf.step(h));
      }
      optimizer.applyGradients(grads);
      return value;
    });
    losses[t] = loss.dataSync()[0]!;
    loss.dispose();
  }
  const params = readParams(shapes, shapes.flatMap((_, l) => [kernels[l]!, biases[l]!]));
  optimizer.dispose();
  tf.dispose([...kernels, ...biases]);
  return { losses, params, setupMs };
}

/** Kernel and bias of each layer, in that order, back to a ModelState. */
function readParams(shapes: readonly [number, number][], weights: readonly tf.Tensor[]): ModelState {
  const params: ModelState = {};
  shapes.forEach(([nin, nout], l) => {
    params[`dense_${l}.kernel`] = { data: weights[2 * l]!.dataSync() as Float32Array, dims: [nin, nout] };
    params[`dense_${l}.bias`] = { data: weights[2 * l + 1]!.dataSync() as Float32Array, dims: [nout] };
  });
  return params;
}
