/**
 * TensorFlow.js contenders on the CNN workloads, as for the MLP (tfjs.ts): the layers API
 * (tf.sequential of conv2d, maxPooling2d, flatten, dense; compile + trainOnBatch) and a custom
 * loop (tf.variable + optimizer.minimize), on the backend selected with `useBackend`. The dense
 * workloads' third variant, gradients by hand with explicit transposes (tfjs.ts), is not written
 * for the CNN: its dense layers' gradients here are TF.js's matMuls with transpose flags.
 *
 * The wasm backend has no Conv2DBackpropFilter kernel (a conv2d's kernel gradient), so it cannot
 * train a conv2d; it has Conv3D's. With `asConv3d`, each convolution is a conv3d of depth 1 (input
 * [B, 1, H, W, C], kernel [1, k, k, C, F]: the same arithmetic), and in the layers API its pooling a
 * 1×2×2 maxPooling3d.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelState } from '@onnxpipe/graph-builder';
import type { CnnWorkload } from './cnn.js';
import { cnnLayout, type CnnBatch } from './cnn-reference.js';
import type { Api, TfResult } from './tfjs.js';

/** The implementations of the CNN: the dense workloads' hand-derived gradients (tfjs.ts) have no convolutional counterpart here. */
export type CnnApi = Exclude<Api, 'manual'>;
export const cnnApis: readonly CnnApi[] = ['layers', 'custom'];

export async function trainTfCnn(api: CnnApi, w: CnnWorkload, init: ModelState, batches: readonly CnnBatch[], steps: number, asConv3d: boolean): Promise<TfResult> {
  const start = performance.now();
  return api === 'layers' ? layersLoop(w, init, batches, steps, start, asConv3d) : customLoop(w, init, batches, steps, start, asConv3d);
}

/** Parameter names in the order TF.js lists weights: each conv's kernel and bias, then each dense layer's. */
const weightNames = (w: CnnWorkload): string[] => Object.keys(cnnLayout(w.config).params);

const adam = (w: CnnWorkload) => tf.train.adam(w.optimizer.lr, w.optimizer.beta1, w.optimizer.beta2, w.optimizer.epsilon);

const imagesOf = (w: CnnWorkload, b: CnnBatch) => tf.tensor4d(b.images, [b.labels.length, w.config.height, w.config.width, w.config.channels]);

async function layersLoop(w: CnnWorkload, init: ModelState, batches: readonly CnnBatch[], steps: number, start: number, asConv3d: boolean): Promise<TfResult> {
  const { config } = w;
  const model = tf.sequential();
  const image = [config.height, config.width, config.channels];
  config.convs.forEach((c, i) => {
    const inputShape = i === 0 ? { inputShape: asConv3d ? [1, ...image] : image } : {};
    if (asConv3d) {
      model.add(tf.layers.conv3d({ ...inputShape, filters: c.filters, kernelSize: [1, c.kernel, c.kernel], padding: c.padding, activation: 'relu' }));
      model.add(tf.layers.maxPooling3d({ poolSize: [1, 2, 2], strides: [1, 2, 2] }));
    } else {
      model.add(tf.layers.conv2d({ ...inputShape, filters: c.filters, kernelSize: c.kernel, padding: c.padding, activation: 'relu' }));
      model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    }
  });
  model.add(tf.layers.flatten());
  for (const units of config.hidden) model.add(tf.layers.dense({ units, activation: 'relu' }));
  model.add(tf.layers.dense({ units: config.classes, activation: 'softmax' }));
  model.compile({ optimizer: adam(w), loss: 'sparseCategoricalCrossentropy' });
  model.setWeights(weightNames(w).map((name) => tf.tensor(init[name]!.data, kernelShape(init[name]!.dims, asConv3d))));
  const setupMs = performance.now() - start;

  const losses = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    const b = batches[t % batches.length]!;
    const x = asConv3d ? tf.expandDims(imagesOf(w, b), 1) : imagesOf(w, b);
    const y = tf.tensor1d(Float32Array.from(b.labels));
    losses[t] = (await model.trainOnBatch(x, y)) as number;
    tf.dispose([x, y]);
  }
  const params = readParams(w, model.getWeights(), init);
  model.optimizer.dispose();
  model.dispose();
  return { losses, params, setupMs };
}

function customLoop(w: CnnWorkload, init: ModelState, batches: readonly CnnBatch[], steps: number, start: number, asConv3d: boolean): TfResult {
  const { config } = w;
  const names = weightNames(w);
  const vars = new Map(names.map((name) => [name, tf.variable(tf.tensor(init[name]!.data, kernelShape(init[name]!.dims, asConv3d)))]));
  const v = (name: string) => vars.get(name)!;
  const optimizer = adam(w);
  const setupMs = performance.now() - start;

  // the loss from the logits: mean over rows of -log_softmax(z)[label]
  const objective = (x: tf.Tensor4D, labels: tf.Tensor1D) => (): tf.Scalar => {
    let h: tf.Tensor4D = x;
    config.convs.forEach((c, i) => {
      const kernel = v(`conv_${i}.kernel`);
      const z = asConv3d ? tf.squeeze<tf.Tensor4D>(tf.conv3d(tf.expandDims<tf.Tensor5D>(h, 1), kernel as tf.Tensor5D, 1, c.padding), [1]) : tf.conv2d(h, kernel as tf.Tensor4D, 1, c.padding);
      h = tf.maxPool(tf.relu(tf.add(z, v(`conv_${i}.bias`))) as tf.Tensor4D, 2, 2, 'valid');
    });
    let z: tf.Tensor2D = tf.reshape(h, [labels.shape[0], -1]);
    const last = config.hidden.length;
    for (let j = 0; j <= last; j++) {
      z = tf.add(tf.matMul(z, v(`dense_${j}.kernel`) as tf.Tensor2D), v(`dense_${j}.bias`));
      if (j < last) z = tf.relu(z);
    }
    return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(tf.oneHot(labels, config.classes), tf.logSoftmax(z)), 1)));
  };

  const losses = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    const b = batches[t % batches.length]!;
    const loss = tf.tidy(() => optimizer.minimize(objective(imagesOf(w, b), tf.tensor1d(b.labels, 'int32')), true, [...vars.values()])!);
    losses[t] = loss.dataSync()[0]!;
    loss.dispose();
  }
  const params = readParams(w, names.map(v), init);
  optimizer.dispose();
  tf.dispose([...vars.values()]);
  return { losses, params, setupMs };
}

/** A conv kernel [k, k, C, F] as conv3d takes it, [1, k, k, C, F]; other shapes as they are. */
const kernelShape = (dims: readonly number[], asConv3d: boolean): number[] => (asConv3d && dims.length === 4 ? [1, ...dims] : [...dims]);

/** The weights back in the reference layout (the dims of `init`). */
function readParams(w: CnnWorkload, weights: readonly tf.Tensor[], init: ModelState): ModelState {
  return Object.fromEntries(weightNames(w).map((name, i) => [name, { data: weights[i]!.dataSync() as Float32Array, dims: [...init[name]!.dims] }]));
}
