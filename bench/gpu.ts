/**
 * Training benchmark on accelerators, for a machine with an NVIDIA GPU: the two dense workloads of
 * bench/train.ts (XOR, MLP; not the CNNs) on onnxpipe with `device: 'webgpu'` and `device: 'cuda'`, onnxpipe on the
 * CPU as the baseline, the same batches and initial parameters, the same table. A device
 * this onnxruntime build or machine lacks (DeviceError) is skipped with a line saying why.
 *
 *   tsx --conditions=source bench/gpu.ts [--quick] [--reps N] [--only xor|mlp] [--out bench/results/gpu.json]
 *
 * Gates against the float64 hand-written reference of train.ts: CPU rows with train.ts's
 * tolerances; device rows allow 1e-3 on the early losses (GPU kernels reduce in another order,
 * and CUDA may use TF32 for matrix products).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MAX_STEPS_PER_RUN, DeviceError, type Device } from '@onnxpipe/trainer';
import {
  benchArgs,
  calibrate,
  machine,
  planSteps,
  printChecks,
  table,
  timeContenders,
  type Check,
  type Contender,
  type ContenderResult,
  type Tolerances,
} from './lib/harness.js';
import { trainOnnxpipe, trainerBatches } from './lib/onnxpipe.js';
import { float64Reference } from './lib/reference.js';
import { copyState, initialParams, timed, workloadData, type Workload } from './lib/workloads.js';

const { quick, reps, maxRunMs, only, out: outOption, workloads } = benchArgs();

// the CPU rows as in train.ts; devices reduce in another order (CUDA may use TF32)
const cpuTolerances: Record<Workload['name'], Tolerances> = { xor: { early: 2e-6, final: 5e-6 }, mlp: { early: 5e-6, final: 1e-2 } };
const deviceTolerances: Record<Workload['name'], Tolerances> = { xor: { early: 1e-3, final: 1e-2 }, mlp: { early: 1e-3, final: 0.03 } };
const devices: readonly Device[] = ['webgpu', 'cuda'];
const KS = [1, MAX_STEPS_PER_RUN, 256];
const baselineId = `cpu-k${MAX_STEPS_PER_RUN}`;

const gpu = existsSync('/dev/nvidia0');
console.log(`# onnxpipe training on accelerators${quick ? ' (--quick)' : ''}\n${JSON.stringify(machine())}`);
if (!gpu) console.log("no NVIDIA GPU here (/dev/nvidia0 is absent): a webgpu row, if any, runs on the WebGPU implementation's fallback adapter, not on a GPU");

let failed = false;
const reports: { workload: Workload; results: ContenderResult[]; checks: Check[]; skipped: string[] }[] = [];

for (const w of workloads) {
  const { batches, evalBatch } = workloadData(w);
  const scored = timed(w, evalBatch);
  const init = initialParams(w);
  const tb = trainerBatches(w, batches);
  const contender = (device: Device, K: number, threads: number | undefined): Contender => ({
    id: `${device}-k${K}${threads === undefined && device === 'cpu' ? '-threads' : ''}`,
    label: `onnxpipe ${device} ${K === 1 ? '1 run per step (K=1)' : `fused K=${K}`}${device === 'cpu' ? (threads === undefined ? ', trainer default threads' : ', 1 thread') : ''}`,
    group: device === 'cpu' ? 'onnxpipe' : 'device',
    run: (steps) => trainOnnxpipe(w, copyState(init), tb, steps, { stepsPerRun: K, threads, device }),
  });
  const reference = float64Reference(w);
  await reference.at(w.steps);
  console.log(`\n## ${w.title}\n${w.steps} steps, ${reps} repetition(s); reference for the gates: ${reference.label}`);

  const contenders: Contender[] = [...KS.map((K) => contender('cpu', K, 1)), contender('cpu', MAX_STEPS_PER_RUN, undefined)];
  const skipped: string[] = [];
  for (const device of devices) {
    // a two-step probe tells an absent device (DeviceError) from one that works
    const probe = contender(device, 2, undefined);
    try {
      await probe.run(2);
      contenders.push(...KS.map((K) => contender(device, K, undefined)));
    } catch (error) {
      if (!(error instanceof DeviceError)) {
        failed = true;
        console.log(`FAILED onnxpipe ${device}: ${(error as Error).stack ?? error}`);
      } else console.log(`skip onnxpipe ${device}: ${error.message}`);
      skipped.push(`${device}: ${(error as Error).message}`);
    }
  }

  const perStep = quick ? new Map<string, number>() : await calibrate(contenders, w.name === 'xor' ? 300 : 2);
  const plan = planSteps(w, contenders, perStep, maxRunMs, Math.min(maxRunMs, 15_000));
  const { results, checks } = await timeContenders(scored, contenders, {
    reps,
    plan,
    reference,
    tolerances: (c) => (c.group === 'device' ? deviceTolerances : cpuTolerances)[w.name],
  });
  const best = [...results].sort((a, b) => a.msPerStep - b.msPerStep)[0]!;
  console.log(`\n${table(scored, results, [{ label: `vs cpu K=${MAX_STEPS_PER_RUN}, 1 thread`, baseline: baselineId }], { [best.id]: '(fastest)' })}`);
  console.log('speedups: > 1 means the row is faster; * total projected from ms/step');
  const bad = checks.filter((k) => !k.pass);
  console.log(`gates: ${checks.length - bad.length}/${checks.length} passed`);
  printChecks(checks.filter((k) => k.what.startsWith('run 1:')));
  if (bad.length) failed = true;
  reports.push({ workload: w, results, checks, skipped });
}

if (outOption) {
  const path = resolve(outOption);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ benchmark: 'onnxpipe training on accelerators', date: new Date().toISOString(), mode: quick ? 'quick' : 'full', machine: machine(), gpu, gatesPassed: !failed, workloads: reports }, null, 2)}\n`);
  console.log(`\nwrote ${outOption}`);
}
console.log(failed ? '\nFAILED' : '\nall correctness gates passed');
process.exit(failed ? 1 : 0);
