/**
 * Serve benchmark: requests/s and latency of `onnxpipe serve` for the XOR model against a fastify no-op
 * route measured in the same run, at 1, 16 and 64 concurrent connections. Writes bench/results/serve.json.
 * Run: pnpm tsx --conditions=source bench/serve.ts
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

const DURATION_S = 3;
const WARMUP_S = 1;
const CONCURRENCY = [1, 16, 64];
const BATCH_ROWS = 1024;

const pair = { inputs: [{ name: 'x1', shape: [1, 1], datatype: 'FP32', data: [0] }, { name: 'x2', shape: [1, 1], datatype: 'FP32', data: [1] }] };
const column = (seed: number) => Array.from({ length: BATCH_ROWS }, (_, i) => (i * seed) % 2);
const batch = {
  inputs: [
    { name: 'x1', shape: [BATCH_ROWS, 1], datatype: 'FP32', data: column(1) },
    { name: 'x2', shape: [BATCH_ROWS, 1], datatype: 'FP32', data: column(3) },
  ],
};

interface Workload {
  name: string;
  path: (ports: Ports) => string;
  body: string;
  check: (body: unknown) => boolean;
}
interface Ports {
  model: number;
  plain: number;
  noop: number;
}

const inferOk = (rows: number) => (body: unknown) =>
  (body as { outputs?: { name: string; shape: number[] }[] }).outputs?.[0]?.shape[0] === rows;
const workloads: Workload[] = [
  { name: 'no-op ceiling', path: (p) => `http://127.0.0.1:${p.noop}/noop`, body: JSON.stringify(pair), check: (b) => (b as { ok?: boolean }).ok === true },
  { name: 'infer, 1 pair', path: (p) => `http://127.0.0.1:${p.model}/v2/models/xor/infer`, body: JSON.stringify(pair), check: inferOk(1) },
  { name: 'infer, 1 pair, no batching', path: (p) => `http://127.0.0.1:${p.plain}/v2/models/xor/infer`, body: JSON.stringify(pair), check: inferOk(1) },
  { name: 'predict, 1 pair', path: (p) => `http://127.0.0.1:${p.model}/predict`, body: JSON.stringify({ x1: [[0]], x2: [[1]] }), check: (b) => Array.isArray((b as { dense_1?: unknown }).dense_1) },
  { name: `infer, ${BATCH_ROWS} rows`, path: (p) => `http://127.0.0.1:${p.model}/v2/models/xor/infer`, body: JSON.stringify(batch), check: inferOk(BATCH_ROWS) },
];

const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/serve-server.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
const ports = JSON.parse(line) as Ports;

const post = async (url: string, body: string) =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();

interface Row {
  workload: string;
  concurrency: number;
  requestsPerSecond: number;
  /** concurrency / requests per second (Little's law): autocannon's percentiles have 1 ms resolution. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ratioToCeiling: number;
}
const rows: Row[] = [];
try {
  for (const w of workloads) {
    if (!w.check(await post(w.path(ports), w.body))) throw new Error(`${w.name}: unexpected response`);
  }
  for (const connections of CONCURRENCY) {
    let ceiling = 0;
    for (const w of workloads) {
      const options = { url: w.path(ports), method: 'POST', headers: { 'content-type': 'application/json' }, body: w.body, connections };
      await autocannon({ ...options, duration: WARMUP_S });
      const r = await autocannon({ ...options, duration: DURATION_S });
      if (w.name === 'no-op ceiling') ceiling = r.requests.average;
      rows.push({
        workload: w.name,
        concurrency: connections,
        requestsPerSecond: Math.round(r.requests.average),
        meanMs: Number(((connections / r.requests.average) * 1000).toFixed(3)),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        ratioToCeiling: Number((r.requests.average / ceiling).toFixed(3)),
      });
    }
  }
} finally {
  child.kill('SIGTERM');
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`${'workload'.padEnd(30)}${pad('conc', 5)}${pad('req/s', 9)}${pad('mean ms', 9)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('errors', 8)}${pad('/ceiling', 10)}`);
for (const r of rows) {
  console.log(
    `${r.workload.padEnd(30)}${pad(r.concurrency, 5)}${pad(r.requestsPerSecond, 9)}${pad(r.meanMs.toFixed(3), 9)}${pad(r.p50Ms, 8)}${pad(r.p99Ms, 8)}${pad(r.errors, 8)}${pad(`${(r.ratioToCeiling * 100).toFixed(0)}%`, 10)}`,
  );
}
const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  durationSeconds: DURATION_S,
  rows,
};
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/serve.json', `${JSON.stringify(results, null, 2)}\n`);
