/**
 * Where a training step's time goes, for the numbers behind bench/train.ts:
 *   1. nodes per step of the exported train-step model, before and after onnxruntime's optimizer;
 *   2. onnxruntime's floor: synthetic Scan models (the fused step is a Scan) whose body is n
 *      cheap Adds, giving the fixed cost of a Scan iteration and of one node, and the fixed cost
 *      of one session.run;
 *   3. the trainer against a bare session.run loop on the same model, and a JavaScript CPU
 *      profile of the trainer run (self time by source file);
 *   4. the cost of one session.run outside onnxruntime's own run (feeds in, outputs out);
 *   5. with --ort-profile: onnxruntime's own per-operator profile of the fused model.
 *
 *   tsx --conditions=source bench/train-profile.ts [--workload xor|mlp] [--ort-profile]
 */
import { readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { elementCount, exportTrainStep } from '@onnxpipe/graph-builder';
import { median } from './lib/harness.js';
import { optimizerOf, trainOnnxpipe, trainRawOrt, trainerBatches } from './lib/onnxpipe.js';
import { copyState, initialParams, mlp, onnxpipeModel, workloadData, xor, type Workload } from './lib/workloads.js';

const { onnx } = onnxProto;
const { values: args } = parseArgs({ options: { workload: { type: 'string', default: 'xor' }, 'ort-profile': { type: 'boolean', default: false } } });
const w: Workload = args.workload === 'mlp' ? mlp() : xor();
const K = 64;
const sessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1 } as const;

function countOps(g: onnxProto.onnx.IGraphProto): { nodes: number; ops: Record<string, number> } {
  const ops: Record<string, number> = {};
  for (const n of g.node ?? []) ops[n.opType!] = (ops[n.opType!] ?? 0) + 1;
  return { nodes: g.node?.length ?? 0, ops };
}

/** The graph that runs once per step: the Scan body when fused, else the main graph. */
function stepGraph(bytes: Uint8Array): onnxProto.onnx.IGraphProto {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const scan = graph.node?.find((n) => n.opType === 'Scan');
  return scan ? scan.attribute!.find((a) => a.name === 'body')!.g! : graph;
}

async function optimized(bytes: Uint8Array): Promise<Uint8Array> {
  const path = join(tmpdir(), `onnxpipe-optimized-${process.pid}.onnx`);
  const s = await ort.InferenceSession.create(bytes, { ...sessionOptions, optimizedModelFilePath: path });
  await s.release();
  const out = await readFile(path);
  await rm(path, { force: true });
  return out;
}

console.log(`# ${w.title}\n`);
console.log('## 1. nodes per step');
for (const stepsPerRun of [1, K]) {
  const m = exportTrainStep(onnxpipeModel(w), { loss: w.loss, optimizer: optimizerOf(w), stepsPerRun });
  const before = countOps(stepGraph(m.bytes));
  const after = countOps(stepGraph(await optimized(m.bytes)));
  console.log(`K=${stepsPerRun}: ${before.nodes} nodes exported, ${after.nodes} after onnxruntime's optimizer: ${JSON.stringify(after.ops)}`);
}

// --- 2. onnxruntime's floor ---------------------------------------------------------------
const T = onnx.TensorProto.DataType;
const info = (name: string, elemType: number, dims: readonly number[]): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

/** x → n chained Adds → y: x + (a slice of xs), then + c; in a Scan over the `steps` slices of xs when `scan`. */
function chainModel(n: number, scan: boolean, steps: number): Uint8Array {
  const shape = [32, 8];
  const c = { name: 'c', dims: shape, dataType: T.FLOAT, floatData: new Array(256).fill(1e-3) };
  const chain = (from: string, first: string, to: string): onnxProto.onnx.INodeProto[] =>
    Array.from({ length: n }, (_, i) => ({ opType: 'Add', input: [i === 0 ? from : `${to}_${i - 1}`, i === 0 ? first : 'c'], output: [i === n - 1 ? to : `${to}_${i}`] }));
  const graph: onnxProto.onnx.IGraphProto = scan
    ? {
        name: 'scan',
        input: [info('x', T.FLOAT, shape), info('xs', T.FLOAT, [steps, ...shape])],
        output: [info('y', T.FLOAT, shape)],
        initializer: [c],
        node: [
          {
            opType: 'Scan',
            input: ['x', 'xs'],
            output: ['y'],
            attribute: [
              { name: 'num_scan_inputs', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
              {
                name: 'body',
                type: onnx.AttributeProto.AttributeType.GRAPH,
                g: { name: 'body', input: [info('xb', T.FLOAT, shape), info('sb', T.FLOAT, shape)], output: [info('yb', T.FLOAT, shape)], node: chain('xb', 'sb', 'yb') },
              },
            ],
          },
        ],
      }
    : { name: 'chain', input: [info('x', T.FLOAT, shape)], output: [info('y', T.FLOAT, shape)], initializer: [c], node: chain('x', 'c', 'y') };
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 18 }], graph }).finish();
}

async function usPer(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, runs: number, per: number): Promise<number> {
  // no graph optimization here: the chain of Adds must stay n nodes
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  for (let i = 0; i < 20; i++) await s.run(feeds);
  const times: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const start = performance.now();
    for (let i = 0; i < runs; i++) await s.run(feeds);
    times.push(((performance.now() - start) * 1000) / (runs * per));
  }
  await s.release();
  return median(times);
}

console.log('\n## 2. onnxruntime floor (one thread): n chained Adds on a [32, 8] tensor');
const x = new ort.Tensor('float32', new Float32Array(256), [32, 8]);
const xs = new ort.Tensor('float32', new Float32Array(64 * 256), [64, 32, 8]);
const fit: [number, number][] = [];
for (const n of [1, 4, 8, 16, 32]) {
  const scanUs = await usPer(chainModel(n, true, 64), { x, xs }, 100, 64);
  const runUs = await usPer(chainModel(n, false, 64), { x }, 2000, 1);
  fit.push([n, scanUs]);
  console.log(`n=${String(n).padStart(2)}: ${scanUs.toFixed(2)} us per Scan iteration, ${runUs.toFixed(2)} us per session.run`);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const mx = mean(fit.map(([n]) => n));
const my = mean(fit.map(([, t]) => t));
const slope = fit.reduce((s, [n, t]) => s + (n - mx) * (t - my), 0) / fit.reduce((s, [n]) => s + (n - mx) ** 2, 0);
console.log(`fit: ${(my - slope * mx).toFixed(2)} us per Scan iteration + ${slope.toFixed(3)} us per node`);

// --- 3. trainer vs bare session.run -------------------------------------------------------
console.log(`\n## 3. trainer vs bare session.run (K=${K}, ${w.steps} steps, one thread, median of 3)`);
const { batches } = workloadData(w);
const init = initialParams(w);
const tb = trainerBatches(w, batches);
const timeIt = async (f: () => Promise<unknown>) => {
  const start = performance.now();
  await f();
  return performance.now() - start;
};
for (const stepsPerRun of [K, 1]) {
  const bare: number[] = [];
  const trained: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    bare.push(await timeIt(() => trainRawOrt(w, copyState(init), batches, w.steps, { stepsPerRun, threads: 1 })));
    trained.push(await timeIt(() => trainOnnxpipe(w, copyState(init), tb, w.steps, { stepsPerRun, threads: 1 })));
  }
  const b = (median(bare) * 1000) / w.steps;
  const t = (median(trained) * 1000) / w.steps;
  console.log(`K=${stepsPerRun}: bare ${b.toFixed(1)} us/step, trainer ${t.toFixed(1)} us/step: trainer overhead ${(t - b).toFixed(1)} us/step (${((100 * (t - b)) / t).toFixed(0)}% of the trainer's time)`);
}

const inspector = new Session();
inspector.connect();
await inspector.post('Profiler.enable');
await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
await inspector.post('Profiler.start');
const profiled = await timeIt(() => trainOnnxpipe(w, copyState(init), tb, w.steps, { stepsPerRun: K, threads: 1 }));
const { profile } = await inspector.post('Profiler.stop');
inspector.disconnect();
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
const deltas = profile.timeDeltas ?? [];
(profile.samples ?? []).forEach((id, i) => {
  const n = nodes.get(id)!;
  const url = n.callFrame.url;
  const where = url.includes('/packages/')
    ? url.slice(url.indexOf('/packages/') + 1)
    : url.includes('onnxruntime')
      ? 'onnxruntime-node (JS)'
      : url === ''
        ? n.callFrame.functionName.startsWith('(')
          ? n.callFrame.functionName
          : `native ${n.callFrame.functionName || '(anonymous)'}`
        : url.includes('node_modules')
          ? 'other node_modules'
          : url.startsWith('node:')
            ? 'node internals'
            : basename(url);
  selfUs.set(where, (selfUs.get(where) ?? 0) + (deltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
console.log(`JavaScript CPU profile of one trainer run (K=${K}, ${(profiled / 1000).toFixed(2)} s wall; onnxruntime-node runs the model synchronously on the main thread, so its compute shows as native):`);
for (const [where, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${((us / w.steps)).toFixed(2).padStart(7)} us/step  ${where}`);
}

// --- 4. what one session.run costs beyond onnxruntime's own run -------------------------
console.log("\n## 4. session.run wall time vs the run inside onnxruntime (its profiler's model_run; the profiler slows every node, so trust the split where nodes are few and heavy, as in the MLP)");
async function perRun(stepsPerRun: number, profile: boolean): Promise<{ wallUs: number; modelRunUs: number | undefined }> {
  const m = exportTrainStep(onnxpipeModel(w), { loss: w.loss, optimizer: optimizerOf(w), stepsPerRun });
  const prefix = join(tmpdir(), `onnxpipe-run-${process.pid}-${stepsPerRun}`);
  const s = await ort.InferenceSession.create(m.bytes, { ...sessionOptions, ...(profile ? { enableProfiling: true, profileFilePrefix: prefix } : {}) });
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of m.signature.params) feeds[p.name] = new ort.Tensor('float32', init[p.name]!.data as Float32Array, p.dims);
  for (const st of m.signature.state) feeds[st.name] = new ort.Tensor('float32', new Float32Array(elementCount(st.dims)), st.dims);
  const classes = w.layers[w.layers.length - 1]!.units;
  const lead = stepsPerRun === 1 ? [] : [stepsPerRun];
  const data = (width: number) => new ort.Tensor('float32', new Float32Array(stepsPerRun * w.batch * width), [...lead, w.batch, width]);
  Object.assign(feeds, { x1: data(w.widths[0]), x2: data(w.widths[1]), target: data(classes) });
  feeds.lr = new ort.Tensor('float32', Float32Array.of(w.optimizer.lr), []);
  feeds.step = new ort.Tensor('float32', Float32Array.of(1), []);
  const runs = w.name === 'xor' ? (stepsPerRun === 1 ? 2000 : 40) : stepsPerRun === 1 ? 40 : 3;
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const start = performance.now();
  for (let i = 0; i < runs; i++) await s.run(feeds);
  const wallUs = ((performance.now() - start) * 1000) / runs;
  await s.release();
  if (!profile) return { wallUs, modelRunUs: undefined };
  const dir = tmpdir();
  const file = readdirSync(dir).find((f) => f.startsWith(basename(prefix)))!;
  const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as { name: string; dur: number }[];
  await rm(join(dir, file), { force: true });
  const modelRuns = events.filter((e) => e.name === 'model_run').map((e) => e.dur);
  return { wallUs, modelRunUs: median(modelRuns.slice(3)) };
}
const slots = optimizerOf(w).slots.length;
const stateMB = ((1 + slots) * Object.values(init).reduce((a, t) => a + t.data.byteLength, 0)) / 2 ** 20;
for (const stepsPerRun of [1, K]) {
  const plain = await perRun(stepsPerRun, false);
  const profiled = await perRun(stepsPerRun, true);
  const per = (us: number) => (us / stepsPerRun).toFixed(1);
  console.log(
    `K=${stepsPerRun}: session.run ${per(plain.wallUs)} us/step; with onnxruntime's profiler on: session.run ${per(profiled.wallUs)}, of which model_run ${per(profiled.modelRunUs!)}: ` +
      `${per(profiled.wallUs - profiled.modelRunUs!)} us/step outside it (feeds in; ${stateMB.toFixed(2)} MB of parameters${slots ? ' and optimizer state' : ''} out per run)`,
  );
}

// --- 5. onnxruntime's operator profile ----------------------------------------------------
if (args['ort-profile']) {
  const m = exportTrainStep(onnxpipeModel(w), { loss: w.loss, optimizer: optimizerOf(w), stepsPerRun: K });
  const prefix = join(tmpdir(), `onnxpipe-ort-${process.pid}`);
  const s = await ort.InferenceSession.create(m.bytes, { ...sessionOptions, enableProfiling: true, profileFilePrefix: prefix });
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of m.signature.params) feeds[p.name] = new ort.Tensor('float32', init[p.name]!.data as Float32Array, p.dims);
  for (const st of m.signature.state) feeds[st.name] = new ort.Tensor('float32', new Float32Array(elementCount(st.dims)), st.dims);
  const classes = w.layers[w.layers.length - 1]!.units;
  const stack = (width: number) => new ort.Tensor('float32', new Float32Array(K * w.batch * width), [K, w.batch, width]);
  Object.assign(feeds, { x1: stack(w.widths[0]), x2: stack(w.widths[1]), target: stack(classes) });
  feeds.lr = new ort.Tensor('float32', Float32Array.of(w.optimizer.lr), []);
  feeds.step = new ort.Tensor('float32', Float32Array.of(1), []);
  for (let i = 0; i < 16; i++) await s.run(feeds);
  await s.release();
  const dir = tmpdir();
  const file = readdirSync(dir).find((f) => f.startsWith(basename(prefix)));
  const events = JSON.parse(await readFile(join(dir, file!), 'utf8')) as { cat: string; dur: number; args: { op_name?: string } }[];
  await rm(join(dir, file!), { force: true });
  const byOp = new Map<string, { us: number; calls: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.args.op_name || e.args.op_name === 'Scan') continue;
    const o = byOp.get(e.args.op_name) ?? { us: 0, calls: 0 };
    o.us += e.dur;
    o.calls++;
    byOp.set(e.args.op_name, o);
  }
  const steps = 16 * K;
  console.log(`\n## 5. onnxruntime profile, K=${K} (the profiler itself adds time to every node)`);
  for (const [op, { us, calls }] of [...byOp].sort((a, b) => b[1].us - a[1].us)) {
    console.log(`  ${op.padEnd(14)} ${(calls / steps).toFixed(1).padStart(5)} per step  ${(us / calls).toFixed(2).padStart(7)} us/call  ${(us / steps).toFixed(2).padStart(8)} us/step`);
  }
}
