import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '@onnxpipe/runtime';
import { exchange, rawRequest } from '../testing/raw-http.js';
import { xorModel } from '../testing/xor-model.js';
import { createServer } from './server.js';

const MALFORMED = 1000;
const VALID_EVERY = 4;
const PARALLEL = 16;

interface Probe {
  kind: string;
  send: (base: string) => Promise<{ status: number; body: string }>;
  /** For valid requests: the expected dense_1 value. */
  expected?: number;
}

let model: Model;
let app: ReturnType<typeof createServer>;
let base: string;
let port: number;
beforeAll(async () => {
  model = await loadModel(xorModel().bytes);
  app = createServer(model, { name: 'xor', maxBodyBytes: 64 * 1024, maxElements: 10_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
  await model.close();
});

const http = async (base: string, path: string, init: RequestInit) => {
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, body: await response.text() };
};
const postJson = (path: string, body: string, contentType = 'application/json') => (b: string) =>
  http(b, path, { method: 'POST', headers: { 'content-type': contentType }, body });
const tensor = (name: string, shape: unknown, data: unknown, datatype = 'FP32') => ({ name, shape, datatype, data });
const infer = (inputs: unknown[], extra: object = {}) => postJson('/v2/models/xor/infer', JSON.stringify({ inputs, ...extra }));

/** Writes raw bytes to the port and reads the status and body of whatever comes back. */
const raw = (bytes: string) => async () => {
  const { status, body } = await exchange(port, bytes);
  return { status, body };
};
const PAIR = JSON.stringify({ inputs: [tensor('x1', [1, 1], [0]), tensor('x2', [1, 1], [1])] });

const malformed: ((i: number) => Probe)[] = [
  (i) => ({ kind: 'invalid JSON', send: postJson('/v2/models/xor/infer', `{"inputs": [${i}`) }),
  () => ({ kind: 'empty JSON body', send: postJson('/predict', '') }),
  () => ({ kind: 'text/plain body', send: postJson('/predict', '{"x1":[[0]],"x2":[[1]]}', 'text/plain') }),
  () => ({ kind: 'form body', send: postJson('/v2/models/xor/infer', 'x1=0&x2=1', 'application/x-www-form-urlencoded') }),
  () => ({ kind: 'oversize body', send: infer([tensor('x1', [1, 1], [0]), tensor('x2', [1, 1], [1])], { id: 'x'.repeat(70 * 1024) }) }),
  () => ({ kind: 'too many elements', send: infer([tensor('x1', [20_000, 1], []), tensor('x2', [20_000, 1], [])]) }),
  () => ({ kind: 'wrong datatype', send: infer([tensor('x1', [1, 1], [0], 'INT32'), tensor('x2', [1, 1], [1])]) }),
  () => ({ kind: 'shape/data mismatch', send: infer([tensor('x1', [2, 1], [0]), tensor('x2', [1, 1], [1])]) }),
  () => ({ kind: 'missing input', send: infer([tensor('x1', [1, 1], [0])]) }),
  () => ({ kind: 'unknown input', send: infer([tensor('x1', [1, 1], [0]), tensor('x2', [1, 1], [1]), tensor('x9', [1], [1])]) }),
  () => ({ kind: 'wrong width', send: infer([tensor('x1', [1, 3], [0, 1, 2]), tensor('x2', [1, 1], [1])]) }),
  () => ({ kind: 'string values', send: infer([tensor('x1', [1, 1], ['zero']), tensor('x2', [1, 1], [1])]) }),
  () => ({ kind: 'negative shape', send: infer([tensor('x1', [-1, 1], [0]), tensor('x2', [1, 1], [1])]) }),
  () => ({ kind: 'no inputs field', send: postJson('/v2/models/xor/infer', '{"outputs":[]}') }),
  () => ({ kind: 'deep nesting', send: infer([tensor('x1', [1, 1], JSON.parse(`${'['.repeat(100)}0${']'.repeat(100)}`)), tensor('x2', [1, 1], [1])]) }),
  () => ({ kind: 'prototype pollution', send: postJson('/predict', '{"__proto__":{"x":1},"x1":[[0]],"x2":[[1]]}') }),
  () => ({ kind: 'unknown model', send: postJson('/v2/models/other/infer', JSON.stringify({ inputs: [tensor('x1', [1, 1], [0]), tensor('x2', [1, 1], [1])] })) }),
  () => ({ kind: 'unknown output', send: infer([tensor('x1', [1, 1], [0]), tensor('x2', [1, 1], [1])], { outputs: [{ name: 'nope' }] }) }),
  () => ({ kind: 'predict ragged', send: postJson('/predict', '{"x1":[[0],[1,2]],"x2":[[1],[1]]}') }),
  () => ({ kind: 'wrong method', send: (b) => http(b, '/v2/models/xor/infer', { method: 'GET' }) }),
  () => ({ kind: 'unknown route', send: (b) => http(b, '/v3/models', { method: 'POST', body: '{}' }) }),
  () => ({ kind: 'not HTTP', send: raw('HELLO THERE\r\n\r\n') }),
  () => ({ kind: 'bad content-length', send: raw('POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}') }),
  () => ({ kind: 'OPTIONS', send: raw(rawRequest('OPTIONS', '/v2/models/xor', '', { Connection: 'close' })) }),
  () => ({ kind: 'TRACE', send: raw(rawRequest('TRACE', '/v2/models/xor/infer', '', { Connection: 'close' })) }),
  () => ({ kind: 'SEARCH', send: raw(rawRequest('SEARCH', '/v2/health/ready', '', { Connection: 'close' })) }),
  () => ({ kind: 'PROPFIND', send: raw(rawRequest('PROPFIND', '/predict', '<propfind/>', { Connection: 'close', 'Content-Type': 'text/xml' })) }),
  () => ({ kind: 'CONNECT', send: raw(rawRequest('CONNECT', '/v2/models/xor/infer')) }),
  () => ({ kind: 'no Host', send: raw('GET /v2/health/live HTTP/1.1\r\n\r\n') }),
  () => ({ kind: 'huge headers', send: raw(rawRequest('GET', '/v2', '', { 'X-Big': 'a'.repeat(70_000) })) }),
  () => ({ kind: 'long URL', send: raw(rawRequest('GET', `/v2/models/xor?${'q'.repeat(9000)}`, '', { Connection: 'close' })) }),
  () => ({ kind: 'unknown version', send: postJson('/v2/models/xor/versions/7/infer', PAIR) }),
  () => ({ kind: 'gzip bomb', send: (b) => http(b, '/predict', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(`{"x1":[[0]],"x2":[[1]],"p":"${' '.repeat(200_000)}"}`) }) }),
  () => ({ kind: 'not gzip', send: (b) => http(b, '/predict', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{"x1":[[0]],"x2":[[1]]}' }) }),
  () => ({ kind: 'brotli', send: (b) => http(b, '/predict', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: '{}' }) }),
  () => ({ kind: 'float64 for FP32', send: infer([tensor('x1', [1, 1], [0], 'FP64'), tensor('x2', [1, 1], [1], 'FP64')]) }),
];

/** The protocol's error shape: `{"error": "<non-empty message>"}` and nothing else. */
function isErrorBody(body: string): boolean {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    return Object.keys(value).join() === 'error' && typeof value.error === 'string' && value.error.length > 0;
  } catch {
    return false;
  }
}

describe('server under malformed traffic', () => {
  it(`answers ${MALFORMED} malformed requests with 4xx and { error }, and the valid ones between them correctly`, async () => {
    const truth = (await model.predict({ x1: [[0], [0], [1], [1]], x2: [[0], [1], [0], [1]] })).dense_1!.data as Float32Array;
    const probes: Probe[] = [];
    for (let i = 0; i < MALFORMED; i++) {
      probes.push(malformed[i % malformed.length]!(i));
      if (i % VALID_EVERY === 0) {
        const [a, b] = [(i >> 2) % 2, (i >> 3) % 2];
        probes.push({ kind: 'valid', send: infer([tensor('x1', [1, 1], [a]), tensor('x2', [1, 1], [[b]])]), expected: truth[a * 2 + b]! });
      }
    }
    const failures: string[] = [];
    const statuses = new Map<string, Set<number>>();
    let next = 0;
    const worker = async () => {
      while (next < probes.length) {
        const probe = probes[next++]!;
        const { status, body } = await probe.send(base);
        statuses.set(probe.kind, (statuses.get(probe.kind) ?? new Set()).add(status));
        if (probe.expected === undefined) {
          if (status < 400 || status >= 500 || !isErrorBody(body)) failures.push(`${probe.kind}: ${status} ${body.slice(0, 200)}`);
        } else {
          const value = status === 200 ? (JSON.parse(body) as { outputs: { data: number[] }[] }).outputs[0]!.data[0]! : NaN;
          if (Math.abs(value - probe.expected) > 1e-6) failures.push(`valid: ${status} ${body.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(failures).toEqual([]);
    expect(statuses.size).toBe(malformed.length + 1);
    expect(statuses.get('valid')).toEqual(new Set([200]));
    expect((await fetch(`${base}/v2/health/live`)).status).toBe(200);
  });
});
