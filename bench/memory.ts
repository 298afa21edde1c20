/**
 * Memory benchmark. Each measurement runs in a fresh child process, since a process's peak
 * resident set only grows:
 *   - the MLP (200 Adam steps) through onnxpipe's trainer with its defaults, and through the
 *     fastest TF.js implementation (gradients by hand, explicit transposes) on the wasm and
 *     cpu backends: resident set after the data is made (before any model), and the peak;
 *   - the same for the CNN of bench/train.ts (100 Adam steps on MNIST, batch 64) through the
 *     trainer with its defaults and TF.js's custom loop (wasm 3 steps, cpu 1 step: TF.js takes
 *     seconds to minutes per step of it);
 *   - the XOR guide through the trainer for 100 epochs of 1000 batches: the resident set
 *     after each epoch (after a full GC), first and last, to show that it stays flat.
 *
 *   tsx bench/memory.ts [--out FILE]
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { machine } from './lib/harness.js';

const { values: args } = parseArgs({ options: { child: { type: 'string' }, out: { type: 'string' } } });
const MiB = 2 ** 20;
const rss = () => process.memoryUsage().rss;
/** Peak resident set of this process so far, in bytes. */
const peak = () => process.resourceUsage().maxRSS * 1024;

interface TrainingMemory {
  readonly kind: 'training';
  readonly contender: string;
  readonly baselineMiB: number;
  readonly peakMiB: number;
}
interface EpochMemory {
  readonly kind: 'epochs';
  readonly contender: string;
  readonly epochs: number;
  /** Resident set after each epoch, after a full GC. */
  readonly rssMiB: readonly number[];
}
type Measurement = TrainingMemory | EpochMemory;

/** TF.js steps of the CNN per backend: seconds (wasm) to minutes (cpu) each. */
const tfCnnSteps = { wasm: 3, cpu: 1 } as const;

async function child(name: string): Promise<Measurement> {
  if (name.startsWith('cnn-')) return cnnChild(name);
  // Each child imports only what it runs, so that no contender carries another's modules.
  const { mlp, xor, copyState, initialParams, onnxpipeModel, workloadData } = await import('./lib/workloads.js');
  if (name === 'xor-epochs') {
    const { optimizerOf, trainerBatches } = await import('./lib/onnxpipe.js');
    const { trainer } = await import('@onnxpipe/trainer');
    const w = xor(1000);
    const data = trainerBatches(w, workloadData(w).batches);
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('memory.ts: the xor-epochs child needs --expose-gc');
    const rssMiB: number[] = [];
    await trainer(onnxpipeModel(w), w.loss, optimizerOf(w), { log: 0 })
      .on('epochCompleted', () => {
        gc();
        rssMiB.push(rss() / MiB);
      })
      .run(data, initialParams(w), { epochs: 100 });
    return { kind: 'epochs', contender: 'onnxpipe trainer (defaults), XOR guide, 100 epochs × 1000 batches', epochs: 100, rssMiB };
  }
  const w = mlp(200);
  const { batches } = workloadData(w);
  const init = initialParams(w);
  const baseline = rss();
  if (name === 'mlp-onnxpipe') {
    const { trainOnnxpipe, trainerBatches } = await import('./lib/onnxpipe.js');
    await trainOnnxpipe(w, copyState(init), trainerBatches(w, batches), w.steps, { stepsPerRun: undefined, threads: undefined });
    return { kind: 'training', contender: 'onnxpipe trainer (defaults)', baselineMiB: baseline / MiB, peakMiB: peak() / MiB };
  }
  const backend = name === 'mlp-tfjs-wasm' ? 'wasm' : name === 'mlp-tfjs-cpu' ? 'cpu' : undefined;
  if (!backend) throw new Error(`memory.ts: unknown child ${JSON.stringify(name)}`);
  const { trainTf, useBackend } = await import('./lib/tfjs.js');
  await useBackend(backend);
  const steps = backend === 'cpu' ? 20 : w.steps;
  await trainTf('manual', w, copyState(init), batches, steps);
  return { kind: 'training', contender: `TF.js ${backend} (gradients by hand)${steps < w.steps ? `, ${steps} steps` : ''}`, baselineMiB: baseline / MiB, peakMiB: peak() / MiB };
}

async function cnnChild(name: string): Promise<TrainingMemory> {
  const { cnn, cnnData, initialCnnParams } = await import('./lib/cnn.js');
  const { copyState } = await import('./lib/workloads.js');
  const w = cnn(100);
  const { batches } = await cnnData(w, w.steps);
  const init = initialCnnParams(w);
  const baseline = rss();
  if (name === 'cnn-onnxpipe') {
    const { trainOnnxpipeCnn } = await import('./lib/onnxpipe-cnn.js');
    await trainOnnxpipeCnn(w, copyState(init), batches, w.steps, { stepsPerRun: undefined, threads: undefined });
    return { kind: 'training', contender: 'onnxpipe trainer (defaults)', baselineMiB: baseline / MiB, peakMiB: peak() / MiB };
  }
  const backend = name === 'cnn-tfjs-wasm' ? 'wasm' : name === 'cnn-tfjs-cpu' ? 'cpu' : undefined;
  if (!backend) throw new Error(`memory.ts: unknown child ${JSON.stringify(name)}`);
  const { useBackend } = await import('./lib/tfjs.js');
  const { trainTfCnn } = await import('./lib/tfjs-cnn.js');
  await useBackend(backend);
  const steps = tfCnnSteps[backend];
  await trainTfCnn('custom', w, copyState(init), batches, steps, backend === 'wasm');
  return { kind: 'training', contender: `TF.js ${backend} (custom loop${backend === 'wasm' ? ', conv3d' : ''}), ${steps} step${steps === 1 ? '' : 's'}`, baselineMiB: baseline / MiB, peakMiB: peak() / MiB };
}

if (args.child) {
  process.stdout.write(JSON.stringify(await child(args.child)));
  process.exit(0);
}

const run = promisify(execFile);
const self = fileURLToPath(import.meta.url);
const measure = async (name: string): Promise<Measurement> => {
  const { stdout } = await run(process.execPath, ['--expose-gc', ...process.execArgv, self, '--child', name], { maxBuffer: 16 * MiB });
  return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Measurement;
};

console.log(`# onnxpipe memory benchmark\n${JSON.stringify(machine())}\n`);
const results: (Measurement & { readonly workload?: string })[] = [];
const trainingRuns = [
  { workload: 'mlp', title: 'MLP training, 200 Adam steps, batch 128 (200 batches of data, ~78 MiB, made before the baseline)', children: ['mlp-onnxpipe', 'mlp-tfjs-wasm', 'mlp-tfjs-cpu'] },
  { workload: 'cnn', title: 'CNN training, 100 Adam steps on MNIST, batch 64 (the MNIST files and 100 batches, made before the baseline)', children: ['cnn-onnxpipe', 'cnn-tfjs-wasm', 'cnn-tfjs-cpu'] },
];
for (const { workload, title, children } of trainingRuns) {
  console.log(`## ${title}\n`);
  console.log('| contender | resident after the data (MiB) | peak resident (MiB) | peak − baseline (MiB) |\n|:--|--:|--:|--:|');
  for (const name of children) {
    const m = (await measure(name)) as TrainingMemory;
    results.push({ ...m, workload });
    console.log(`| ${m.contender} | ${m.baselineMiB.toFixed(0)} | ${m.peakMiB.toFixed(0)} | ${(m.peakMiB - m.baselineMiB).toFixed(0)} |`);
  }
  console.log('');
}
const epochs = (await measure('xor-epochs')) as EpochMemory;
results.push(epochs);
const r = epochs.rssMiB;
console.log(`## ${epochs.contender}\n\nresident set after a full GC: epoch 1 ${r[0]!.toFixed(1)} MiB, epoch 10 ${r[9]!.toFixed(1)}, epoch 50 ${r[49]!.toFixed(1)}, epoch 100 ${r[99]!.toFixed(1)} MiB (max ${Math.max(...r).toFixed(1)})`);

if (args.out) {
  const path = resolve(args.out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ benchmark: 'onnxpipe memory', date: new Date().toISOString(), machine: machine(), results }, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v), 2)}\n`);
  console.log(`\nwrote ${args.out}`);
}
