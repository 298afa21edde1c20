/**
 * Models exported by PyTorch 1.13 (test/fixtures/torch, made by scripts/fixtures/torch-models.py)
 * are imported, and their forward outputs, loss, gradients and optimizer steps are compared with
 * PyTorch's own float64 numbers for the same batch. The graphs run in float32, so the bounds are
 * float32 rounding through a few dozen ops: normwise relative errors (‖ours − torch‖ / ‖torch‖)
 * per tensor, the elementwise ones being meaningless for entries near zero.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { adam, elementCount, exportInference, exportTrainStep, importOnnx, sgd, type Optimizer } from '@onnxpipe/graph-builder';
import { loadTorchFixture, TORCH_OPSETS, type FeedTensor, type Float64Tensor, type TorchModelName, type TorchReference } from './fixtures/torch/index.js';

const IMPORTED: readonly TorchModelName[] = ['cnn_bn', 'resblock', 'mlp_gelu_ln', 'transformer_block', 'text_classifier'];

const feed = (t: FeedTensor) => (t.dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(t.data, BigInt), t.dims) : new ort.Tensor('float32', Float32Array.from(t.data), t.dims));

const norm = (t: Float64Tensor) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0));

/** ‖a − b‖ / ‖b‖ */
function normwise(a: ArrayLike<number>, b: Float64Tensor): number {
  let diff = 0;
  for (let i = 0; i < b.data.length; i++) diff += (Number(a[i]) - b.data[i]!) ** 2;
  return Math.sqrt(diff) / norm(b);
}

/**
 * Parameters whose true gradient is zero (the key bias of attention: softmax ignores a constant
 * added to a row) have PyTorch gradients of ~1e-17 and ours of float32 cancellation noise, about
 * 1e-7 of the model's gradient scale. For those, ours must be below 1e-5 of the largest ‖g‖ of
 * the model; Adam, which divides by √v and so turns noise into steps of size lr, is compared on
 * the other parameters only.
 */
const gradientScale = (ref: TorchReference) => Math.max(...Object.values(ref.grads).map(norm));
const zeroGradient = (ref: TorchReference, k: string) => norm(ref.grads[k]!) < 1e-6 * gradientScale(ref);

const lossSpec = (ref: TorchReference) => (ref.loss.name === 'mean_squared_error' ? 'mean_squared_error' : { name: ref.loss.name, fromLogits: true });

/** Run `steps` train steps on the reference batch; returns the loss of the first and the parameters after. */
async function train(onnx: Uint8Array, ref: TorchReference, optimizer: Optimizer, steps: number, lr: number) {
  const { model, params } = importOnnx(onnx);
  const step = exportTrainStep(model, { loss: lossSpec(ref), optimizer, targetDType: ref.target.dtype === 'int64' ? 'int64' : 'float32' });
  const session = await ort.InferenceSession.create(step.bytes);
  let state: Record<string, ort.Tensor> = Object.fromEntries(step.signature.params.map((p) => [p.name, new ort.Tensor('float32', params[p.name]!.data, p.dims)]));
  let slots: Record<string, ort.Tensor> = Object.fromEntries(step.signature.state.map((s) => [s.name, new ort.Tensor('float32', new Float32Array(elementCount(s.dims)), s.dims)]));
  const data = Object.fromEntries(Object.entries(ref.inputs).map(([k, t]) => [k, feed(t)]));
  let firstLoss = NaN;
  for (let k = 0; k < steps; k++) {
    const out = await session.run({ ...data, target: feed(ref.target), ...state, ...slots, lr: new ort.Tensor('float32', Float32Array.of(lr), []), step: new ort.Tensor('float32', Float32Array.of(k + 1), []) });
    if (k === 0) firstLoss = Number(out.loss!.data[0]);
    state = Object.fromEntries(step.signature.params.map((p) => [p.name, out[p.next]!]));
    slots = Object.fromEntries(step.signature.state.map((s) => [s.name, out[s.next]!]));
  }
  await session.release();
  return { firstLoss, params: Object.fromEntries(Object.entries(state).map(([k, t]) => [k, t.data as Float32Array])), signature: step.signature, original: params };
}

const { onnx: proto } = onnxProto;
const encodeTensor = (t: onnxProto.onnx.ITensorProto) => Buffer.from(proto.TensorProto.encode(t).finish()).toString('hex');
/** A node as a comparable string: op, name, domain, inputs, outputs and attributes. */
const nodeKey = (n: onnxProto.onnx.INodeProto) => JSON.stringify([n.opType, n.name, n.domain, n.input, n.output, proto.NodeProto.encode({ attribute: n.attribute ?? [] }).finish().join()]);

describe.each(IMPORTED)('%s exported by PyTorch', (name) => {
  describe.each(TORCH_OPSETS)('opset %i', (opset) => {
    const { onnx, ref } = loadTorchFixture(name, opset);

    it('imports with PyTorch parameters trainable and buffers frozen; exportInference gives PyTorch outputs', async () => {
      const { model, params } = importOnnx(onnx);
      const step = exportTrainStep(model, { loss: lossSpec(ref), optimizer: sgd() });
      expect(step.signature.params.map((p) => p.name).sort()).toEqual(Object.keys(ref.grads).sort());
      const session = await ort.InferenceSession.create(exportInference(model, params));
      const out = await session.run(Object.fromEntries(Object.entries(ref.inputs).map(([k, t]) => [k, feed(t)])));
      await session.release();
      for (const [k, expected] of Object.entries(ref.outputs)) expect(normwise(out[k]!.data as Float32Array, expected)).toBeLessThan(1e-6);
    });

    it('loss and the gradient of every parameter equal PyTorch’s (1e-5 normwise)', async () => {
      // One SGD step with a large lr: (p − p.next) / lr is the gradient, with p's rounding negligible beside lr·g.
      const lr = 1e6;
      const { firstLoss, params, original } = await train(onnx, ref, sgd({ learningRate: lr }), 1, lr);
      expect(Math.abs(firstLoss - ref.lossValue) / ref.lossValue).toBeLessThan(1e-6);
      for (const [k, g] of Object.entries(ref.grads)) {
        const ours = original[k]!.data.map((p, i) => (p - params[k]![i]!) / lr);
        if (zeroGradient(ref, k)) expect(Math.hypot(...ours) / gradientScale(ref), k).toBeLessThan(1e-5);
        else expect(normwise(ours, g), k).toBeLessThan(1e-5);
      }
    });

    it('the fine-tuned export is the original graph with new weights: PyTorch’s outputs for its updated weights, frozen initializers byte for byte', async () => {
      const s = await train(onnx, ref, sgd({ learningRate: ref.sgd.lr }), ref.sgd.steps, ref.sgd.lr);
      const { model, params } = importOnnx(onnx);
      const trained = { ...params, ...Object.fromEntries(Object.entries(s.params).map(([k, data]) => [k, { data, dims: params[k]!.dims }])) };
      const exported = exportInference(model, trained);
      const [before, after] = [proto.ModelProto.decode(onnx), proto.ModelProto.decode(exported)];
      expect(after.graph!.node!.map(nodeKey)).toEqual(before.graph!.node!.map(nodeKey));
      expect(JSON.stringify([after.opsetImport, after.irVersion, after.producerName, after.producerVersion, after.graph!.input, after.graph!.output])).toBe(
        JSON.stringify([before.opsetImport, before.irVersion, before.producerName, before.producerVersion, before.graph!.input, before.graph!.output]),
      );
      const trainedNames = new Set(Object.keys(ref.grads));
      const beforeInits = new Map(before.graph!.initializer!.map((t) => [t.name!, encodeTensor(t)]));
      for (const t of after.graph!.initializer!) {
        if (trainedNames.has(t.name!) && !zeroGradient(ref, t.name!)) expect(encodeTensor(t), t.name!).not.toBe(beforeInits.get(t.name!));
        if (!trainedNames.has(t.name!)) expect(encodeTensor(t), t.name!).toBe(beforeInits.get(t.name!));
      }
      const session = await ort.InferenceSession.create(exported);
      const out = await session.run(Object.fromEntries(Object.entries(ref.inputs).map(([k, t]) => [k, feed(t)])));
      await session.release();
      for (const [k, expected] of Object.entries(ref.sgd.outputs)) expect(normwise(out[k]!.data as Float32Array, expected)).toBeLessThan(1e-5);
    });

    it(`${ref.sgd.steps} SGD steps equal torch.optim.SGD, ${ref.adam.steps} Adam steps torch.optim.Adam`, async () => {
      const s = await train(onnx, ref, sgd({ learningRate: ref.sgd.lr }), ref.sgd.steps, ref.sgd.lr);
      for (const [k, p] of Object.entries(ref.sgd.params)) expect(normwise(s.params[k]!, p), `sgd ${k}`).toBeLessThan(1e-6);
      const a = await train(onnx, ref, adam({ learningRate: ref.adam.lr, beta1: ref.adam.betas[0], beta2: ref.adam.betas[1], epsilon: ref.adam.eps }), ref.adam.steps, ref.adam.lr);
      for (const [k, p] of Object.entries(ref.adam.params)) if (!zeroGradient(ref, k)) expect(normwise(a.params[k]!, p), `adam ${k}`).toBeLessThan(1e-6);
    });
  });
});


