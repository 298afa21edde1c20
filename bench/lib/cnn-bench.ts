/**
 * The CNN part of the training benchmark: onnxpipe against TF.js (cpu and wasm, layers API and
 * custom loop) on MNIST batches, every contender from the same initial parameters. The tiny CNN is
 * gated against the hand-written float64 CNN (cnn-reference.ts) step by step.
 */
import {
  cachedReference,
  printChecks,
  selectContenders,
  table,
  timeContenders,
  type Contender,
  type Timed,
  type Tolerances,
  type WorkloadReport,
} from './harness.js';
import { cnnData, cnnFlopsPerStep, evaluateCnn, initialCnnParams, type CnnWorkload } from './cnn.js';
import { trainCnnReference } from './cnn-reference.js';
import { useBackend, type Api, type Backend } from './tfjs.js';
import { trainTfCnn } from './tfjs-cnn.js';
import { copyState } from './workloads.js';

export interface CnnBenchOptions {
  readonly quick: boolean;
  readonly reps: number;
  readonly maxRunMs: number;
  readonly repRunMs: number;
}

const tolerances: Record<CnnWorkload['name'], Tolerances> = { 'cnn-tiny': { early: 1e-4, final: 1e-3 }, cnn: { early: 1e-4, final: 0.03 } };

const tfLabel = (backend: Backend, api: Api) => `TF.js ${backend} (${api === 'layers' ? 'layers API, trainOnBatch' : 'custom loop, minimize'}${backend === 'wasm' ? ', conv3d' : ''})`;

export async function benchCnn(w: CnnWorkload, o: CnnBenchOptions): Promise<WorkloadReport> {
  const started = performance.now();
  const { batches, evalBatch } = await cnnData(w, w.steps);
  const init = initialCnnParams(w);
  const scorer: Timed = { name: w.name, steps: w.steps, flopsPerStep: cnnFlopsPerStep(w), gflopsColumn: true, evaluate: (params) => evaluateCnn(w, params, evalBatch) };
  const reference = cachedReference(scorer, 'the hand-written float64 CNN (bench/lib/cnn-reference.ts), untimed', async (steps) => ({
    ...trainCnnReference(w.config, init, batches, steps, w.optimizer),
    setupMs: 0,
  }));
  console.log(`\n## ${w.title}\n${w.steps} steps, ${o.reps} repetition(s), ${(scorer.flopsPerStep / 1e9).toPrecision(3)} GFLOP per step; reference for the gates: ${reference.label}`);

  const tf = (backend: Backend, api: Api): Contender => ({
    id: `tfjs-${backend}-${api}`,
    label: tfLabel(backend, api),
    group: 'tfjs',
    prepare: () => useBackend(backend),
    // the wasm backend cannot take a conv2d's kernel gradient: conv3d of depth 1 there (tfjs-cnn.ts)
    run: (steps) => trainTfCnn(api, w, copyState(init), batches, steps, backend === 'wasm'),
  });
  const all = [tf('cpu', 'layers'), tf('cpu', 'custom'), tf('wasm', 'layers'), tf('wasm', 'custom')];
  const { contenders, plan, tfjsChoice } = await selectContenders(scorer, all, { quick: o.quick, calibSteps: 2, maxRunMs: o.maxRunMs, repRunMs: o.repRunMs });
  const { results, checks } = await timeContenders(scorer, contenders, { reps: o.reps, plan, reference, tolerances: () => tolerances[w.name] });
  const bestTf = results.filter((r) => r.group === 'tfjs').sort((a, b) => a.msPerStep - b.msPerStep)[0]!;

  console.log(`\n${table(scorer, results, [{ label: 'vs best TF.js', baseline: bestTf.id }])}`);
  console.log(`images/s: ${results.map((r) => `${r.label} ${((w.batch * 1000) / r.msPerStep).toFixed(0)}`).join('; ')}`);
  const failed = checks.filter((k) => !k.pass);
  console.log(`gates: ${checks.length - failed.length}/${checks.length} passed (losses of steps 1-11 within ${tolerances[w.name].early} relative, final eval loss within ${tolerances[w.name].final})`);
  printChecks(checks.filter((k) => k.what.startsWith('run 1:')));
  return { workload: w, flopsPerStep: scorer.flopsPerStep, reference: reference.label, tfjsChoice, results, checks, targets: [], seconds: (performance.now() - started) / 1000 };
}
