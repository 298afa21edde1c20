/**
 * Fine-tune a model exported by PyTorch, in Node, without Python: import the CNN of
 * test/fixtures/torch (cnn_bn, opset 17), replace its head by a new 10-way softmax on its
 * flattened features, train it on MNIST digits shrunk to 12x12, export the result as a standard
 * .onnx and reload it with @onnxpipe/runtime to measure test accuracy before and after.
 *
 *   pnpm finetune [--epochs N] [--train-count N] [--out FILE]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportInference, summary } from '@onnxpipe/graph-builder';
import { loadModel } from '@onnxpipe/runtime';
import { trainer } from '@onnxpipe/trainer';
import { accuracy, finetune, shrink, SIDE } from '../models/finetune/finetune.js';
import { loadMnist } from '../models/mnist/files.js';

const { values: args } = parseArgs({ options: { epochs: { type: 'string', default: '2' }, 'train-count': { type: 'string', default: '60000' }, out: { type: 'string', default: 'finetuned-cnn.onnx' } } });
const epochs = Number(args.epochs);
const trainCount = Number(args['train-count']);
if (!(Number.isInteger(epochs) && epochs > 0)) throw new Error(`--epochs must be a positive integer, got ${JSON.stringify(args.epochs)}`);
if (!(Number.isInteger(trainCount) && trainCount > 0 && trainCount <= 60000)) throw new Error(`--train-count must be an integer in 1..60000, got ${JSON.stringify(args['train-count'])}`);
const out = resolve(process.env.INIT_CWD ?? process.cwd(), args.out!);

const fixture = new Uint8Array(await readFile(new URL('../test/fixtures/torch/cnn_bn.opset17.onnx', import.meta.url)));
const [train, test] = await Promise.all([loadMnist('train'), loadMnist('t10k')]);
const testImages = shrink(test);

async function testAccuracy(onnx: Uint8Array): Promise<number> {
  const loaded = await loadModel(onnx);
  const outputs = await loaded.predict({ image: { data: testImages, dims: [test.count, 1, SIDE, SIDE] } });
  await loaded.release();
  return accuracy(Object.values(outputs)[0]!.data as Float32Array, test, test.count);
}

const result = await finetune({ fixture, train, trainCount, epochs, trainer: (model, optimizer) => trainer(model, 'sparse_categorical_cross_entropy', optimizer, { seed: 1 }) });
console.log(summary(result.model));
const before = await testAccuracy(exportInference(result.model, result.before));
const after = await testAccuracy(result.onnx);
await writeFile(out, result.onnx);
console.log(`test accuracy on the 10,000 MNIST test digits: ${(before * 100).toFixed(2)}% with the new head untrained, ${(after * 100).toFixed(2)}% after ${epochs} epoch(s) of fine-tuning`);
console.log(`wrote ${out}`);
if (!(after > before)) process.exitCode = 1;
