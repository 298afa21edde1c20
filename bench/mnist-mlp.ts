/**
 * The MNIST MLP of onnxruntime-web's former training demo (784 → 500 relu → 10 softmax, batch 64,
 * AdamW; it published 54 it/s in Chrome): onnxpipe's training steps/s in Node (onnxruntime-node,
 * the trainer on MNIST batches) and in Chromium (the MNIST page's "Train in the browser":
 * onnxruntime-web wasm, one thread). Steps/s count training runs only: not the export, the session
 * creation or validation. Node runs are gated against the hand-written float64 network.
 *
 *   tsx --conditions=source bench/mnist-mlp.ts            full run: 900 steps in Node, 3 epochs (282 steps) in the page
 *   tsx --conditions=source bench/mnist-mlp.ts --quick    smoke run: 11 steps in Node, 1 epoch in the page, same gates
 *
 * Options: --reps N (default 3), --no-browser, --out FILE (JSON).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adamw, initParams, type ModelState } from '@onnxpipe/graph-builder';
import { trainer, type Batch } from '@onnxpipe/trainer';
import { mnistBatches } from '../models/mnist/batches.js';
import { loadMnist } from '../models/mnist/files.js';
import { IMAGE_SHAPE, mnistMlp } from '../models/mnist/model.js';
import { haveChromium, launchChromium, servePages } from '../web/harness.js';
import { trainCnnReference, type CnnBatch, type CnnConfig } from './lib/cnn-reference.js';
import { machine, median, relDiff } from './lib/harness.js';
import { copyState } from './lib/workloads.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    'no-browser': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const quick = args.quick === true;
const reps = quick ? 1 : Number(args.reps ?? 3);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${args.reps}`);
const steps = quick ? 11 : 900;
const BATCH = 64;
const LEARNING_RATE = 1e-3;
const DECAY = 1e-4;
const TOLERANCE = 1e-4;

const model = mnistMlp(500);
const init = initParams(model, { seed: 5 });
const train = await loadMnist('train');
const batches = [...mnistBatches(train, { batchSize: BATCH, shape: IMAGE_SHAPE, seed: 1 })].slice(0, steps);

interface NodeRow {
  readonly label: string;
  readonly stepsPerRun: number;
  readonly threads: number | undefined;
  readonly stepsPerSecond: number[];
  readonly losses: Float64Array;
}

/** One training run: every step's loss, and the steps/s from the first step's run to the last's. */
async function trainNode(stepsPerRun: number, threads: number | undefined): Promise<{ losses: Float64Array; stepsPerSecond: number }> {
  const losses = new Float64Array(steps);
  let n = 0;
  let started = 0;
  let last = 0;
  await trainer(model, 'sparse_categorical_cross_entropy', adamw({ learningRate: LEARNING_RATE, weightDecay: DECAY }), {
    log: 0,
    targetDType: 'int32',
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  })
    .on('epochStarted', () => {
      started = performance.now();
    })
    .on('iterationCompleted', (s) => {
      losses[n++] = s.loss;
      last = performance.now();
    })
    .run(batches as Batch[], copyState(init), { epochs: 1, iterations: steps, stepsPerRun });
  if (n !== steps) throw new Error(`onnxpipe ran ${n} steps, expected ${steps}`);
  return { losses, stepsPerSecond: steps / ((last - started) / 1000) };
}

/** The float64 network's losses of steps 1-11 (784 → 500 relu → 10 is a CNN without convolutions). */
function referenceLosses(): Float64Array {
  const config: CnnConfig = { height: 28, width: 28, channels: 1, convs: [], hidden: [500], classes: 10 };
  const renamed: ModelState = { 'dense_0.kernel': init['dense_0.kernel']!, 'dense_0.bias': init['dense_0.bias']!, 'dense_1.kernel': init['probabilities.kernel']!, 'dense_1.bias': init['probabilities.bias']! };
  const first: CnnBatch[] = batches.slice(0, 11).map(([{ image }, label]) => ({ images: image.data, labels: label.data }));
  return trainCnnReference(config, renamed, first, first.length, { lr: LEARNING_RATE, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, decay: DECAY }).losses;
}

console.log(`# MNIST MLP 784-500-10, batch ${BATCH}, AdamW (lr ${LEARNING_RATE}, decay ${DECAY})${quick ? ' (--quick)' : ''}\n${JSON.stringify(machine())}`);
const reference = referenceLosses();
let passed = true;
const rows: NodeRow[] = [];
const configs = [
  { stepsPerRun: 1, threads: 1 },
  { stepsPerRun: 16, threads: 1 },
  { stepsPerRun: 128, threads: 1 },
  { stepsPerRun: 128, threads: undefined },
];
for (const { stepsPerRun, threads } of configs) {
  const label = `Node, onnxruntime-node cpu, K=${stepsPerRun}, ${threads === undefined ? 'default threads' : `${threads} thread`}`;
  rows.push({ label, stepsPerRun, threads, stepsPerSecond: [], losses: new Float64Array() });
}
for (let rep = 0; rep < reps; rep++) {
  for (const [i, row] of rows.entries()) {
    const { losses, stepsPerSecond } = await trainNode(row.stepsPerRun, row.threads);
    row.stepsPerSecond.push(stepsPerSecond);
    if (rep === 0) rows[i] = { ...row, losses };
    const worst = Math.max(...reference.map((l, k) => relDiff(losses[k]!, l)));
    const ok = worst <= TOLERANCE;
    passed &&= ok;
    console.log(`run ${rep + 1} ${row.label}: ${stepsPerSecond.toFixed(1)} steps/s; losses of steps 1-11 within ${worst.toExponential(2)} of the float64 network ${ok ? 'ok' : `FAIL (tolerance ${TOLERANCE})`}`);
  }
}

interface BrowserRow {
  readonly label: string;
  readonly stepsPerSecond: number[];
  steps: number;
}
const browserRows: BrowserRow[] = [];
if (args['no-browser']) console.log('\nChromium: skipped (--no-browser)');
else if (!haveChromium) console.log('\nChromium: skipped (/usr/bin/chromium is missing; .ci/system-deps.sh installs it)');
else {
  const pages = await servePages(fileURLToPath(new URL('../models', import.meta.url)));
  const browser = await launchChromium();
  try {
    for (const stepsPerRun of quick ? [16] : [16, 128]) {
      const row: BrowserRow = { label: `Chromium, the MNIST page, onnxruntime-web wasm (1 thread), K=${stepsPerRun}`, stepsPerSecond: [], steps: 0 };
      browserRows.push(row);
      for (let rep = 0; rep < reps; rep++) {
        const page = await browser.newPage();
        try {
          await page.goto(`${pages.url}mnist.html?epochs=${quick ? 1 : 3}&stepsPerRun=${stepsPerRun}`);
          await page.waitForSelector('#train:not([disabled])', { timeout: 30_000 });
          await page.selectOption('#train-model', 'mlp500');
          await page.click('#train');
          await page.waitForSelector('#status[data-state="trained"], #status[data-state="error"]', { timeout: 300_000 });
          const status = (await page.locator('#status').textContent()) ?? '';
          if (!status.startsWith('Trained')) throw new Error(`the page did not train: ${status}`);
          const rate = Number(await page.locator('#steps-per-second').getAttribute('data-value'));
          row.stepsPerSecond.push(rate);
          row.steps = Number(/Trained (\d+) steps/.exec(status)![1]);
          console.log(`run ${rep + 1} ${row.label}: ${rate.toFixed(1)} steps/s over ${row.steps} steps`);
        } finally {
          await page.close();
        }
      }
    }
  } finally {
    await browser.close();
    await pages.close();
  }
}

console.log('\n| where | steps timed | steps/s (median) | images/s |\n|:--|--:|--:|--:|');
for (const r of rows) console.log(`| ${r.label} | ${steps} x${r.stepsPerSecond.length} | ${median(r.stepsPerSecond).toFixed(1)} | ${(BATCH * median(r.stepsPerSecond)).toFixed(0)} |`);
for (const r of browserRows) console.log(`| ${r.label} | ${r.steps} x${r.stepsPerSecond.length} | ${median(r.stepsPerSecond).toFixed(1)} | ${(BATCH * median(r.stepsPerSecond)).toFixed(0)} |`);
console.log("onnxruntime-web's former training demo: 54 it/s in Chrome");

if (args.out) {
  const path = resolve(args.out);
  await mkdir(dirname(path), { recursive: true });
  const json = {
    benchmark: 'MNIST MLP 784-500-10, batch 64, AdamW',
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: machine(),
    gatesPassed: passed,
    node: rows.map((r) => ({ label: r.label, steps, stepsPerRun: r.stepsPerRun, threads: r.threads ?? 'default', stepsPerSecond: r.stepsPerSecond, median: median(r.stepsPerSecond) })),
    chromium: browserRows.map((r) => ({ label: r.label, steps: r.steps, stepsPerSecond: r.stepsPerSecond, median: median(r.stepsPerSecond) })),
  };
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${args.out}`);
}
console.log(passed ? '\nall correctness gates passed' : '\nCORRECTNESS GATES FAILED');
process.exit(passed ? 0 : 1);
