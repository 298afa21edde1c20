/**
 * Training benchmark: onnxpipe (fused K steps per onnxruntime run, and one run per step)
 * against TensorFlow.js (cpu and wasm backends) and a hand-written typed-array loop, on
 * the XOR guide and a larger two-input MLP; and onnxpipe against TensorFlow.js on MNIST CNNs
 * (bench/lib/cnn-bench.ts). Every contender starts from the same parameters and trains on
 * the same batches; the run fails (exit code 1) when their losses disagree.
 *
 *   tsx --conditions=source bench/train.ts            full run, results in bench/results/train.json
 *   tsx --conditions=source bench/train.ts --quick    smoke run: few steps, one repetition, same gates
 *                                                     (TF.js: the custom loop on cpu, the layers API on wasm)
 *
 * Options: --reps N (default 3), --only xor|mlp|cnn, --max-run-s S (default 60: a contender whose
 * full run would take longer is timed on fewer steps), --out FILE (JSON; --quick and --only write none unless given).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_STEPS_PER_RUN } from '@onnxpipe/trainer';
import {
  benchArgs,
  cachedReference,
  machine,
  selectContenders,
  printChecks,
  table,
  timeContenders,
  type Check,
  type Contender,
  type ContenderResult,
  type Reference,
  type RunOutput,
  type WorkloadReport,
  type Tolerances,
} from './lib/harness.js';
import { trainOnnxpipe, trainRawOrt, trainerBatches } from './lib/onnxpipe.js';
import { trainPlain } from './lib/plain.js';
import { trainTf, useBackend, wasmFeatures, type Api, type Backend } from './lib/tfjs.js';
import { benchCnn } from './lib/cnn-bench.js';
import { copyState, flopsPerStep, initialParams, timed, workloadData, type Workload } from './lib/workloads.js';

const { quick, reps, maxRunMs, only, out: outOption, workloads, cnnWorkloads } = benchArgs({ cnn: true });
/** Later repetitions of a slow contender are shortened to fit this. */
const repRunMs = Math.min(maxRunMs, 15_000);
const out = outOption ?? (quick || only !== undefined ? undefined : 'bench/results/train.json');

const KS = [32, 64, 128, 256];
const tolerances: Record<Workload['name'], Tolerances> = { xor: { early: 1e-4, final: 1e-3 }, mlp: { early: 1e-4, final: 0.03 } };

const tfLabel = (backend: Backend, api: Api) => `TF.js ${backend} (${api === 'layers' ? 'layers API, trainOnBatch' : 'custom loop, minimize'})`;

function contendersFor(w: Workload): Contender[] {
  const { batches } = data.get(w)!;
  const init = initialParams(w);
  const tb = trainerBatches(w, batches);
  const onnxpipe = (id: string, label: string, stepsPerRun: number, threads: number | undefined): Contender => ({
    id,
    label,
    group: 'onnxpipe',
    run: (steps) => trainOnnxpipe(w, copyState(init), tb, steps, { stepsPerRun, threads }),
  });
  const tf = (backend: Backend, api: Api): Contender => ({
    id: `tfjs-${backend}-${api}`,
    label: tfLabel(backend, api),
    group: 'tfjs',
    prepare: () => useBackend(backend),
    run: (steps) => trainTf(api, w, copyState(init), batches, steps),
  });
  return [
    ...KS.map((K) => onnxpipe(`onnxpipe-k${K}`, `onnxpipe fused K=${K}${K === DEFAULT_STEPS_PER_RUN ? ' (default)' : ''}`, K, 1)),
    onnxpipe('onnxpipe-k1', 'onnxpipe 1 run per step (K=1)', 1, 1),
    onnxpipe('onnxpipe-default-threads', `onnxpipe fused K=${DEFAULT_STEPS_PER_RUN}, ort default threads`, DEFAULT_STEPS_PER_RUN, undefined),
    {
      id: `ort-raw-k${DEFAULT_STEPS_PER_RUN}`,
      label: `profile: bare session.run, K=${DEFAULT_STEPS_PER_RUN}`,
      group: 'profile',
      run: (steps) => trainRawOrt(w, copyState(init), batches, steps, { stepsPerRun: DEFAULT_STEPS_PER_RUN, threads: 1 }),
    },
    { id: 'ort-raw-k1', label: 'profile: bare session.run, K=1', group: 'profile', run: (steps) => trainRawOrt(w, copyState(init), batches, steps, { stepsPerRun: 1, threads: 1 }) },
    tf('cpu', 'layers'),
    tf('cpu', 'custom'),
    tf('wasm', 'layers'),
    tf('wasm', 'custom'),
    {
      id: 'plain',
      label: 'hand-written loop (typed arrays)',
      group: 'plain',
      run: async (steps): Promise<RunOutput> => ({ ...trainPlain(w, copyState(init), batches, steps), setupMs: 0 }),
    },
  ];
}

const data = new Map(workloads.map((w) => [w, workloadData(w)] as const));

function referenceFor(w: Workload): Reference {
  const { batches, evalBatch } = data.get(w)!;
  const init = initialParams(w);
  const tb = trainerBatches(w, batches);
  return cachedReference(
    timed(w, evalBatch),
    `onnxpipe trainer, K=${DEFAULT_STEPS_PER_RUN}, 1 thread, run separately (untimed)`,
    (steps) => trainOnnxpipe(w, copyState(init), tb, steps, { stepsPerRun: DEFAULT_STEPS_PER_RUN, threads: 1 }),
  );
}

async function bench(w: Workload): Promise<WorkloadReport> {
  const started = performance.now();
  const { evalBatch } = data.get(w)!;
  const reference = referenceFor(w);
  await reference.at(w.steps);
  const contenders = contendersFor(w);
  console.log(`\n## ${w.title}\n${w.steps} steps, ${reps} repetition(s); reference for the gates: ${reference.label}`);

  const { contenders: timedContenders, plan, tfjsChoice } = await selectContenders(w, contenders, { quick, calibSteps: w.name === 'xor' ? 300 : 2, maxRunMs, repRunMs });
  const scorer = timed(w, evalBatch);
  const { results, checks } = await timeContenders(scorer, timedContenders, { reps, plan, reference, tolerances: () => tolerances[w.name] });
  const byId = new Map(results.map((r) => [r.id, r]));
  const tfIds = results.filter((r) => r.group === 'tfjs').sort((a, b) => a.msPerStep - b.msPerStep);
  const bestTf = tfIds[0]!;
  const wasmTf = tfIds.find((r) => r.id.startsWith('tfjs-wasm'))!;
  const fused = KS.map((K) => byId.get(`onnxpipe-k${K}`)!).sort((a, b) => a.msPerStep - b.msPerStep);
  const best = fused[0]!;
  const fallback = byId.get(`onnxpipe-k${DEFAULT_STEPS_PER_RUN}`)!;
  const marks: Record<string, string> = { [best.id]: '(best K)' };

  console.log(`\n${table(scorer, results, [{ label: 'vs hand-written', baseline: 'plain' }, { label: 'vs best TF.js', baseline: bestTf.id }], marks)}`);
  console.log('speedups: > 1 means the row is faster (baseline ms/step / row ms/step); * total projected from ms/step');

  const targets =
    w.name === 'xor'
      ? [
          { what: `XOR: onnxpipe best K (${best.label}) vs best TF.js (${bestTf.label})`, value: bestTf.msPerStep / best.msPerStep, goal: 35 },
          { what: `XOR: onnxpipe default K vs best TF.js`, value: bestTf.msPerStep / fallback.msPerStep, goal: 35 },
          { what: `XOR: onnxpipe best K vs hand-written loop (>= 0.5 = within 2x)`, value: byId.get('plain')!.msPerStep / best.msPerStep, goal: 0.5 },
          { what: `XOR: onnxpipe default K vs hand-written loop`, value: byId.get('plain')!.msPerStep / fallback.msPerStep, goal: 0.5 },
        ]
      : [
          { what: `MLP: onnxpipe best K (${best.label}) vs TF.js wasm (${wasmTf.label})`, value: wasmTf.msPerStep / best.msPerStep, goal: 10 },
          { what: `MLP: onnxpipe default K vs TF.js wasm`, value: wasmTf.msPerStep / fallback.msPerStep, goal: 10 },
        ];
  const scored = targets.map((t) => ({ ...t, met: t.value >= t.goal }));
  console.log('targets:');
  for (const t of scored) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.what}: ${t.value.toFixed(2)}x (goal ${t.goal}x)`);
  const failed = checks.filter((k) => !k.pass);
  console.log(`gates: ${checks.length - failed.length}/${checks.length} passed (losses of steps 1-11 within ${tolerances[w.name].early} relative, final eval loss within ${tolerances[w.name].final})`);
  printChecks(checks.filter((k) => k.what.startsWith('run 1:')));

  return { workload: w, flopsPerStep: flopsPerStep(w), reference: reference.label, tfjsChoice, results, checks, targets: scored, seconds: (performance.now() - started) / 1000 };
}

const before = machine();
await useBackend('wasm');
const wasm = wasmFeatures();
console.log(`# onnxpipe training benchmark${quick ? ' (--quick)' : ''}\n${JSON.stringify(before)}\nTF.js wasm: SIMD ${wasm.simd}, threads ${wasm.threads} (1 thread used); onnxpipe rows use intraOpNumThreads 1 unless noted`);
const reports: WorkloadReport[] = [];
let crashed: unknown;
try {
  for (const w of workloads) reports.push(await bench(w));
  for (const w of cnnWorkloads) reports.push(await benchCnn(w, { quick, reps, maxRunMs, repRunMs }));
} catch (error) {
  crashed = error;
  console.error(`\nbenchmark failed: ${(error as Error).stack ?? error}`);
}
const passed = crashed === undefined && reports.every((r) => r.checks.every((k) => k.pass));

if (out) {
  const json = {
    benchmark: 'onnxpipe training',
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    repetitions: reps,
    machine: { ...before, loadavgAtEnd: machine().loadavg },
    tfjsWasm: wasm,
    gatesPassed: passed,
    ...(crashed === undefined ? {} : { error: String(crashed) }),
    workloads: reports.map((r) => ({
      name: r.workload.name,
      title: r.workload.title,
      steps: r.workload.steps,
      batch: r.workload.batch,
      flopsPerStep: r.flopsPerStep,
      reference: r.reference,
      seconds: Number(r.seconds.toFixed(1)),
      tfjsChoice: r.tfjsChoice,
      results: r.results,
      targets: r.targets,
      checks: r.checks,
    })),
  };
  const path = resolve(out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(json, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 2)}\n`);
  console.log(`\nwrote ${out}`);
}
console.log(passed ? '\nall correctness gates passed' : '\nCORRECTNESS GATES FAILED');
process.exit(passed ? 0 : 1);
