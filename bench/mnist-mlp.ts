/**
 * The MNIST MLP of onnxruntime-web's former training demo (784 → 500 relu → 10 softmax, batch 64,
 * AdamW; it published 54 it/s in Chrome): onnxpipe's training steps/s in Node (onnxruntime-node,
 * the trainer on MNIST batches, with its defaults and pinned to one thread) and in Chromium (the
 * MNIST page's "Train in the browser": onnxruntime-web wasm, one thread). Node runs are timed and
 * gated through the harness as the workloads of bench/train.ts are: the whole trainer run (export
 * and session creation included), every run's losses of steps 1-11 and its final parameters' loss
 * on 512 test images against the hand-written float64 network. The page's steps/s are its own: from
 * the start of each epoch to its last step (the first epoch includes the export and the session
 * creation, which the trainer does at its first batch; validation is left out).
 *
 *   tsx --conditions=source bench/mnist-mlp.ts            full run: 900 steps in Node (the float64 reference of
 *                                                         900 steps takes minutes, untimed), 3 epochs (282 steps) in the page
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
import { imageTensor, labelTensor, mnistBatches } from '../models/mnist/batches.js';
import { loadMnist } from '../models/mnist/files.js';
import { IMAGE_SHAPE, mnistMlp } from '../models/mnist/model.js';
import { haveChromium, launchChromium, servePages } from '../web/harness.js';
import { cnnLoss, trainCnnReference, type AdamSpec, type CnnBatch, type CnnConfig } from './lib/cnn-reference.js';
import { defaultsLabel, trainerDefaults } from './lib/defaults.js';
import { cachedReference, machine, median, printChecks, table, timeContenders, type Contender, type RunOutput, type Timed, type Tolerances } from './lib/harness.js';
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
const HIDDEN = 500;
const EVAL_IMAGES = 512;
const adamSpec: AdamSpec = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, decay: 1e-4 };
const tolerances: Tolerances = { early: 1e-4, final: 0.03 };
const LOSS = 'sparse_categorical_cross_entropy';
const optimizer = () => adamw({ learningRate: adamSpec.lr, beta1: adamSpec.beta1, beta2: adamSpec.beta2, epsilon: adamSpec.epsilon, weightDecay: adamSpec.decay! });

const model = mnistMlp(HIDDEN);
const init = initParams(model, { seed: 5 });
const [train, test] = await Promise.all([loadMnist('train'), loadMnist('t10k')]);
const batches = [...mnistBatches(train, { batchSize: BATCH, shape: IMAGE_SHAPE, seed: 1 })].slice(0, steps);
const evalIndices = Int32Array.from({ length: EVAL_IMAGES }, (_, i) => i);
const evalBatch: CnnBatch = { images: imageTensor(test, evalIndices, IMAGE_SHAPE).data, labels: labelTensor(test, evalIndices).data };

/** 784 → 500 relu → 10 is the float64 CNN of cnn-reference.ts without convolutions. */
const config: CnnConfig = { height: 28, width: 28, channels: 1, convs: [], hidden: [HIDDEN], classes: 10 };
/** onnxpipe's parameter names (the output layer is `probabilities`) against the reference's. */
const names: readonly (readonly [onnxpipe: string, reference: string])[] = [
  ['dense_0.kernel', 'dense_0.kernel'],
  ['dense_0.bias', 'dense_0.bias'],
  ['probabilities.kernel', 'dense_1.kernel'],
  ['probabilities.bias', 'dense_1.bias'],
];
const toReference = (p: ModelState): ModelState => Object.fromEntries(names.map(([o, r]) => [r, p[o]!]));
const fromReference = (p: ModelState): ModelState => Object.fromEntries(names.map(([o, r]) => [o, p[r]!]));

const scorer: Timed = {
  name: 'mnist-mlp',
  steps,
  flopsPerStep: 6 * BATCH * (784 * HIDDEN + HIDDEN * 10),
  gflopsColumn: true,
  evaluate: (params) => cnnLoss(config, Object.fromEntries(Object.entries(toReference(params)).map(([k, t]) => [k, t.data])), evalBatch.images, evalBatch.labels),
};
const referenceBatches: CnnBatch[] = batches.map(([{ image }, label]) => ({ images: image.data, labels: label.data }));
const reference = cachedReference(scorer, 'the hand-written float64 network (bench/lib/cnn-reference.ts without convolutions, AdamW), untimed', async (n) => {
  const r = trainCnnReference(config, toReference(init), referenceBatches, n, adamSpec);
  return { losses: r.losses, params: fromReference(r.params), setupMs: 0 };
});

/** One trainer run of `n` steps; every step's loss from iterationCompleted. */
async function trainNode(n: number, stepsPerRun: number | undefined, threads: number | undefined): Promise<RunOutput> {
  const start = performance.now();
  let started = start;
  const losses = new Float64Array(n);
  let done = 0;
  const params = await trainer(model, LOSS, optimizer(), {
    log: 0,
    targetDType: 'int32',
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  })
    .on('started', () => {
      started = performance.now();
    })
    .on('iterationCompleted', (s) => {
      losses[done++] = s.loss;
    })
    .run(batches as Batch[], copyState(init), { epochs: 1, iterations: n, ...(stepsPerRun === undefined ? {} : { stepsPerRun }) });
  if (done !== n) throw new Error(`onnxpipe ran ${done} steps, expected ${n}`);
  return { losses, params, setupMs: started - start };
}

console.log(`# MNIST MLP 784-${HIDDEN}-10, batch ${BATCH}, AdamW (lr ${adamSpec.lr}, decay ${adamSpec.decay})${quick ? ' (--quick)' : ''}\n${JSON.stringify(machine())}`);
const [{ image: firstImages }, firstLabels] = batches[0]!;
const chosen = trainerDefaults(model, { loss: LOSS, optimizer: optimizer(), targetDType: 'int32' }, { bytes: firstImages.data.byteLength + firstLabels.data.byteLength, rows: BATCH }, steps);
const node = (id: string, label: string, stepsPerRun: number | undefined, threads: number | undefined): Contender => ({
  id,
  label: `Node, onnxruntime-node cpu, ${label}`,
  group: 'onnxpipe',
  run: (n) => trainNode(n, stepsPerRun, threads),
});
const contenders = [node('onnxpipe-defaults', defaultsLabel(chosen), undefined, undefined), ...[1, 16, 128].map((K) => node(`onnxpipe-k${K}`, `K=${K}, 1 thread (pinned)`, K, 1))];
await reference.at(steps);
console.log(`\n## Node: ${steps} steps, ${reps} repetition(s); reference for the gates: ${reference.label}`);
const { results, checks } = await timeContenders(scorer, contenders, { reps, plan: new Map(), reference, tolerances: () => tolerances });
console.log(`\n${table(scorer, results, [{ label: 'vs K=1', baseline: 'onnxpipe-k1' }])}`);
const failed = checks.filter((k) => !k.pass);
const passed = failed.length === 0;
console.log(`gates: ${checks.length - failed.length}/${checks.length} passed (losses of steps 1-11 within ${tolerances.early} relative, final eval loss on ${EVAL_IMAGES} test images within ${tolerances.final})`);
printChecks(checks.filter((k) => k.what.startsWith('run 1:')));

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
for (const r of results) console.log(`| ${r.label} | ${steps} x${r.runs.length} | ${r.stepsPerSecond.toFixed(1)} | ${(BATCH * r.stepsPerSecond).toFixed(0)} |`);
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
    trainerDefaults: chosen,
    reference: reference.label,
    node: results,
    checks,
    chromium: browserRows.map((r) => ({ label: r.label, steps: r.steps, stepsPerSecond: r.stepsPerSecond, median: median(r.stepsPerSecond) })),
  };
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${args.out}`);
}
console.log(passed ? '\nall correctness gates passed' : '\nCORRECTNESS GATES FAILED');
process.exit(passed ? 0 : 1);
