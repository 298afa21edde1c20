/**
 * The fine-tuning example (scripts/finetune.ts) on a subset: the PyTorch CNN fixture with a new
 * head learns MNIST digits, and its export keeps PyTorch's parameter names and reloads.
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { exportInference } from '@onnxpipe/graph-builder';
import { loadModel } from '@onnxpipe/runtime';
import { trainer } from '@onnxpipe/trainer';
import { accuracy, finetune, shrink, SIDE } from '../models/finetune/finetune.js';
import { loadMnist } from '../models/mnist/files.js';

describe('fine-tuning the PyTorch CNN on MNIST', () => {
  it('a new head on the imported features learns the digits; the export keeps the PyTorch names', { timeout: 120_000 }, async () => {
    const fixture = new Uint8Array(await readFile(new URL('./fixtures/torch/cnn_bn.opset17.onnx', import.meta.url)));
    const [train, test] = await Promise.all([loadMnist('train'), loadMnist('t10k')]);
    const result = await finetune({ fixture, train, trainCount: 6000, epochs: 1, trainer: (model, optimizer) => trainer(model, 'sparse_categorical_cross_entropy', optimizer, { seed: 1, log: 0 }) });
    const count = 1000;
    const measure = async (onnx: Uint8Array) => {
      const loaded = await loadModel(onnx);
      const out = await loaded.predict({ image: { data: shrink(test, count), dims: [count, 1, SIDE, SIDE] } });
      await loaded.release();
      return accuracy(Object.values(out)[0]!.data as Float32Array, test, count);
    };
    const [before, after] = [await measure(exportInference(result.model, result.before)), await measure(result.onnx)];
    expect(before).toBeLessThan(0.3);
    expect(after).toBeGreaterThan(0.6);
    const names = onnxProto.onnx.ModelProto.decode(result.onnx).graph!.initializer!.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['conv1.weight', 'bn1.weight', 'bn1.running_mean', 'conv2.weight', 'digit_head.kernel']));
    expect(names).not.toContain('fc.weight');
  });
});
