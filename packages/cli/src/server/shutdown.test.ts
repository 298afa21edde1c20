import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '@onnxpipe/runtime';
import { rawRequest, RawConnection } from '../testing/raw-http.js';
import { xorModel } from '../testing/xor-model.js';
import { createServer } from './server.js';
import { closeWithin } from './shutdown.js';

let model: Model;
beforeAll(async () => {
  model = await loadModel(xorModel().bytes);
});
afterAll(() => model.close());

/** The XOR model with predictions held until `release`; `started(n)` resolves once n have been asked for. */
function heldModel() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const held: Model = {
    ...model,
    inputs: model.inputs,
    outputs: model.outputs,
    producer: model.producer,
    predict: async (inputs) => {
      calls++;
      for (const w of waiters) if (calls >= w.n) w.resolve();
      await gate;
      return model.predict(inputs);
    },
  };
  const started = (n: number) => new Promise<void>((resolve) => (calls >= n ? resolve() : waiters.push({ n, resolve })));
  return { held, release, started };
}

const PREDICT = rawRequest('POST', '/predict', '{"x1":[[1]],"x2":[[0]]}', { 'Content-Type': 'application/json' });

async function listening(held: Model) {
  const app = createServer(held, { name: 'xor', batching: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as { port: number }).port };
}

/** A connection the server has accepted. */
async function accepted(app: ReturnType<typeof createServer>, port: number) {
  const connection = new RawConnection(port);
  await once(app.server, 'connection');
  return connection;
}

describe('closeWithin', () => {
  it('closes idle, silent and half-sent connections at once, finishes the request in flight with Connection: close', async () => {
    const { held, release, started } = heldModel();
    const { app, port } = await listening(held);
    const idle = (await accepted(app, port)).write(rawRequest('GET', '/v2/health/live'));
    expect((await idle.response()).headers.connection).toBe('keep-alive');
    const silent = await accepted(app, port);
    const halfHeaders = (await accepted(app, port)).write('GET /v2 HTTP/1.1\r\nHost: x\r\n');
    const inFlight = (await accepted(app, port)).write(PREDICT);
    await started(1);

    let cut: number | undefined;
    const closing = closeWithin(app, 60_000).then((n) => (cut = n));
    await Promise.all([idle.closed, silent.closed, halfHeaders.closed]);
    expect(silent.text).toBe('');
    expect(cut).toBeUndefined();
    const refused = new RawConnection(port);
    await expect(new Promise((_, reject) => refused.socket.once('error', reject))).rejects.toThrow(/ECONNREFUSED/);

    release();
    const response = await inFlight.closed;
    expect(response.status).toBe(200);
    expect(response.headers.connection).toBe('close');
    expect(JSON.parse(response.body).dense_1).toHaveLength(1);
    await closing;
    expect(cut).toBe(0);
  });

  it('cuts the connections still busy when the grace period ends, and says how many', async () => {
    const { held, release, started } = heldModel();
    const { app, port } = await listening(held);
    const stuck = [(await accepted(app, port)).write(PREDICT), (await accepted(app, port)).write(PREDICT)];
    await started(2);
    const began = Date.now();
    expect(await closeWithin(app, 200)).toBe(2);
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    for (const connection of stuck) expect((await connection.closed).status).toBe(0);
    release();
  });

  it('refuses a server createServer did not make', async () => {
    const { default: Fastify } = await import('fastify');
    await expect(closeWithin(Fastify(), 10)).rejects.toThrow(/^closeWithin needs a server made by createServer$/);
  });
});
