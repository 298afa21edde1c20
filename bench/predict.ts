/**
 * Inference benchmark: `@onnxpipe/runtime`'s `predict` on the XOR model (models/xor.onnx) with
 * its defaults, against a raw onnxruntime-node session (`InferenceSession.create(bytes)` with
 * onnxruntime's defaults, and pinned to one thread) in the same process, for a single pair and
 * for a batch of 4096 rows. Calls of the contenders are interleaved; medians of the rounds.
 *
 *   tsx bench/predict.ts [--rounds N] [--out FILE]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { loadModel } from '@onnxpipe/runtime';
import { machine, median } from './lib/harness.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, out: { type: 'string' } } });
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 3) throw new Error(`--rounds must be an integer ≥ 3, got ${args.rounds}`);

const bytes = await readFile(resolve('models/xor.onnx'));
const model = await loadModel(bytes);
const rawDefault = await ort.InferenceSession.create(bytes);
const rawOneThread = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });

const column = (rows: number, seed: number) => Float32Array.from({ length: rows }, (_, i) => (i * seed) % 2);

interface Case {
  readonly name: string;
  readonly rows: number;
  /** Calls per timed round. */
  readonly calls: number;
}
const cases: Case[] = [
  { name: 'single pair', rows: 1, calls: 2000 },
  { name: '4096-row batch', rows: 4096, calls: 200 },
];

type Contender = { readonly label: string; readonly call: (x1: Float32Array, x2: Float32Array, rows: number) => Promise<unknown> };
const raw = (session: ort.InferenceSession) => (x1: Float32Array, x2: Float32Array, rows: number) =>
  session.run({ x1: new ort.Tensor('float32', x1, [rows, 1]), x2: new ort.Tensor('float32', x2, [rows, 1]) });
const contenders: Contender[] = [
  { label: 'runtime predict, { data, dims } inputs (defaults)', call: (x1, x2, rows) => model.predict({ x1: { data: x1, dims: [rows, 1] }, x2: { data: x2, dims: [rows, 1] } }) },
  { label: 'runtime predict, nested arrays (defaults)', call: (x1, x2) => model.predict({ x1: Array.from(x1, (v) => [v]), x2: Array.from(x2, (v) => [v]) }) },
  { label: "raw onnxruntime-node session.run (onnxruntime's defaults)", call: raw(rawDefault) },
  { label: 'raw onnxruntime-node session.run, 1 thread (pinned)', call: raw(rawOneThread) },
];

const results: { case: string; contender: string; usPerCall: number }[] = [];
for (const c of cases) {
  const x1 = column(c.rows, 1);
  const x2 = column(c.rows, 3);
  const times = contenders.map(() => [] as number[]);
  for (const k of contenders) for (let i = 0; i < 50; i++) await k.call(x1, x2, c.rows);
  for (let round = 0; round < rounds; round++) {
    for (const [i, k] of contenders.entries()) {
      const start = performance.now();
      for (let n = 0; n < c.calls; n++) await k.call(x1, x2, c.rows);
      times[i]!.push(((performance.now() - start) * 1000) / c.calls);
    }
  }
  const base = median(times[2]!);
  console.log(`\n## ${c.name} (${c.rows} row${c.rows === 1 ? '' : 's'}), ${rounds} rounds of ${c.calls} calls\n`);
  console.log('| contender | µs per call | vs raw (defaults) |\n|:--|--:|--:|');
  contenders.forEach((k, i) => {
    const us = median(times[i]!);
    results.push({ case: c.name, contender: k.label, usPerCall: Number(us.toPrecision(4)) });
    console.log(`| ${k.label} | ${us.toFixed(1)} | ${(us / base).toFixed(2)}x |`);
  });
}
await Promise.all([model.close(), rawDefault.release(), rawOneThread.release()]);

if (args.out) {
  const path = resolve(args.out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ benchmark: 'onnxpipe predict', date: new Date().toISOString(), machine: machine(), rounds, results }, null, 2)}\n`);
  console.log(`\nwrote ${args.out}`);
}
