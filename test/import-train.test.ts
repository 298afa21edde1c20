/**
 * Fine-tuning imported PyTorch models through the trainer, on onnxruntime-node and on
 * onnxruntime-web's wasm build under Node: the trainer's steps equal torch.optim.SGD's, and the
 * model it returns exports and predicts through @onnxpipe/runtime.
 */
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { exportInference, importOnnx, sgd, type ModelState } from '@onnxpipe/graph-builder';
import { loadModel } from '@onnxpipe/runtime';
import { trainer as nodeTrainer } from '../packages/trainer/src/node.js';
import { trainer as webTrainer, type Batch } from '../packages/trainer/src/web.js';
import { loadTorchFixture, type FeedTensor, type TorchModelName, type TorchReference } from './fixtures/torch/index.js';

ortWeb.env.wasm.numThreads = 1;

const typed = (t: FeedTensor) => ({ data: t.dtype === 'int64' ? BigInt64Array.from(t.data, BigInt) : Float32Array.from(t.data), dims: t.dims });
const batch = (ref: TorchReference): Batch => [Object.fromEntries(Object.entries(ref.inputs).map(([k, t]) => [k, typed(t)])), typed(ref.target)] as Batch;
const lossOf = (ref: TorchReference) => (ref.loss.name === 'mean_squared_error' ? 'mean_squared_error' : { name: ref.loss.name, fromLogits: true });

function maxRelative(ours: ModelState, ref: TorchReference['sgd']['params']): number {
  let worst = 0;
  for (const [k, p] of Object.entries(ref)) {
    const scale = Math.max(...p.data.map(Math.abs));
    ours[k]!.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - p.data[i]!) / scale)));
  }
  return worst;
}

const FINE_TUNED: readonly [TorchModelName, 13 | 17][] = [
  ['transformer_block', 13],
  ['cnn_bn', 17],
  ['text_classifier', 17],
];

describe.each(FINE_TUNED)('%s (opset %i) fine-tuned by the trainer', (name, opset) => {
  const { onnx, ref } = loadTorchFixture(name, opset);

  for (const [platform, make] of [
    ['onnxruntime-node', nodeTrainer],
    ['onnxruntime-web (wasm)', webTrainer],
  ] as const) {
    it(`${platform}: ${ref.sgd.steps} steps equal torch.optim.SGD`, async () => {
      const { model } = importOnnx(onnx);
      const state = await make(model, lossOf(ref), sgd({ learningRate: ref.sgd.lr }), { log: 0, ...(ref.target.dtype === 'int64' ? { targetDType: 'int64' } : {}) }).run(
        Array.from({ length: ref.sgd.steps }, () => batch(ref)),
        {},
        { stepsPerRun: 1 },
      );
      expect(maxRelative(state, ref.sgd.params)).toBeLessThan(1e-5);
    });
  }

  it('the fine-tuned model exports and predicts through @onnxpipe/runtime', async () => {
    const { model, params } = importOnnx(onnx);
    const state = await nodeTrainer(model, lossOf(ref), sgd({ learningRate: ref.sgd.lr }), { log: 0 }).run(Array.from({ length: ref.sgd.steps }, () => batch(ref)), {}, { stepsPerRun: 1 });
    const loaded = await loadModel(exportInference(model, { ...params, ...state }));
    const [input] = Object.entries(ref.inputs);
    const out = await loaded.predict({ [input![0]]: new ort.Tensor(input![1].dtype, typed(input![1]).data, input![1].dims) as never });
    const expected = Object.values(ref.sgd.outputs)[0]!;
    const got = Array.from(Object.values(out)[0]!.data as Float32Array);
    const scale = Math.max(...expected.data.map(Math.abs));
    got.forEach((v, i) => expect(Math.abs(v - expected.data[i]!) / scale).toBeLessThan(1e-5));
    await loaded.release?.();
  });
});
