/**
 * The Axon "Multi Input Models" guide, end to end: build the two-input XOR model, train it
 * with binary cross-entropy and SGD (lr 0.01) for 10 epochs x 1000 batches of 32, print the
 * prediction for (0, 1) and the truth table, and write models/xor.onnx.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { exportInference, summary } from '@onnxpipe/graph-builder';
import { predict, trainer, type Batch } from '@onnxpipe/trainer';
import { xorBatches, xorModel } from '../models/xor.js';

const out = resolve(process.argv[2] ?? 'models/xor.onnx');

const model = xorModel();
console.log(summary(model));

const state = await trainer(model, 'binary_cross_entropy', 'sgd', { seed: 42 })
  .metric('accuracy')
  .run(xorBatches(32, 7) as Iterable<Batch>, {}, { epochs: 10, iterations: 1000 });

const p = await predict(model, state, { x1: [[0]], x2: [[1]] });
console.log(`\npredict({ x1: [[0]], x2: [[1]] }) = ${Number(p.data[0]).toFixed(4)}`);

const pairs = [[0, 0], [0, 1], [1, 0], [1, 1]] as const;
const table = await predict(model, state, { x1: pairs.map(([a]) => [a]), x2: pairs.map(([, b]) => [b]) });
let correct = 0;
console.log('\nx1 x2 | xor | model');
pairs.forEach(([a, b], i) => {
  const y = Number(table.data[i]);
  if (Number(y >= 0.5) === (a ^ b)) correct++;
  console.log(` ${a}  ${b} |  ${a ^ b}  | ${y.toFixed(4)}`);
});
console.log(`truth-table accuracy: ${correct / 4}`);

await mkdir(dirname(out), { recursive: true });
await writeFile(out, exportInference(model, state));
console.log(`wrote ${out}`);
if (correct !== 4) process.exitCode = 1;
