import { METHODS } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '@onnxpipe/runtime';
import { exchange, rawRequest, RawConnection } from '../testing/raw-http.js';
import { xorModel } from '../testing/xor-model.js';
import { MAX_URL_LENGTH } from './http-layer.js';
import { createServer } from './server.js';

let model: Model;
let app: ReturnType<typeof createServer>;
let port: number;
beforeAll(async () => {
  model = await loadModel(xorModel().bytes);
  app = createServer(model, { name: 'xor', maxBodyBytes: 4096 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
  await model.close();
});

const PAIR = JSON.stringify({
  inputs: [
    { name: 'x1', shape: [1, 1], datatype: 'FP32', data: [1] },
    { name: 'x2', shape: [1, 1], datatype: 'FP32', data: [0] },
  ],
});
const JSON_TYPE = { 'Content-Type': 'application/json' };

const GET_PATHS = ['/v2/health/live', '/v2/health/ready', '/v2', '/v2/models/xor', '/v2/models/xor/ready', '/v2/models/xor/versions/1', '/v2/models/xor/versions/1/ready'];
const POST_PATHS = ['/v2/models/xor/infer', '/v2/models/xor/versions/1/infer', '/predict'];

describe('methods a route does not serve', () => {
  const routable = METHODS.filter((m) => m !== 'CONNECT');

  it.each([...GET_PATHS.map((p) => [p, ['GET', 'HEAD']] as const), ...POST_PATHS.map((p) => [p, ['POST']] as const)])(
    'every other method on %s gets 405 with Allow %j',
    async (path, allowed) => {
      const wrong: string[] = [];
      for (const method of routable.filter((m) => !(allowed as readonly string[]).includes(m))) {
        const response = await app.inject({ method: method as 'GET', url: path, payload: method === 'HEAD' ? undefined : 'x', headers: { 'content-type': 'text/xml' } });
        const ok =
          response.statusCode === 405 &&
          response.headers.allow === allowed.join(', ') &&
          (method === 'HEAD' || response.json().error === `method ${method} is not allowed on ${path}; use ${allowed.join(' or ')}`);
        if (!ok) wrong.push(`${method}: ${response.statusCode} ${response.headers.allow} ${response.body}`);
      }
      expect(wrong).toEqual([]);
      expect(routable.length - allowed.length).toBeGreaterThan(30);
    },
  );

  it('CONNECT on a served path gets 405 with Allow; CONNECT elsewhere gets 404, both as JSON', async () => {
    const onRoute = await exchange(port, rawRequest('CONNECT', '/v2/models/xor/infer'));
    expect(onRoute.status).toBe(405);
    expect(onRoute.headers.allow).toBe('POST');
    expect(JSON.parse(onRoute.body)).toEqual({ error: 'method CONNECT is not allowed on /v2/models/xor/infer; use POST' });
    const proxy = await exchange(port, rawRequest('CONNECT', 'example.com:443'));
    expect(proxy.status).toBe(404);
    expect(JSON.parse(proxy.body)).toEqual({ error: 'no route CONNECT example.com:443' });
  });

  it('OPTIONS, TRACE, SEARCH and PROPFIND on a model route are 405, not an unknown model', async () => {
    for (const method of ['OPTIONS', 'TRACE', 'SEARCH', 'PROPFIND']) {
      const response = await exchange(port, rawRequest(method, '/v2/models/xor', '', { Connection: 'close' }));
      expect(response.status, method).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
      expect(JSON.parse(response.body).error).toMatch(new RegExp(`^method ${method} is not allowed on /v2/models/xor; use GET or HEAD$`));
    }
  });
});

describe('errors of the HTTP layer are JSON { error }', () => {
  it.each([
    ['a request without Host', 'GET /v2/health/live HTTP/1.1\r\n\r\n', 400, /^missing Host header; HTTP\/1\.1 requests must send one$/],
    ['not HTTP', 'HELLO THERE\r\n\r\n', 400, /^malformed HTTP request: Invalid method encountered$/],
    ['a bad Content-Length', 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}', 400, /^malformed HTTP request: Invalid character in Content-Length$/],
    ['headers over 16 KiB', rawRequest('GET', '/v2', '', { 'X-Big': 'a'.repeat(20_000) }), 431, /^the request line and headers are larger than 16384 bytes$/],
    ['a URL over the limit', rawRequest('GET', `/v2?${'q'.repeat(MAX_URL_LENGTH)}`), 414, /^the request URL is 8196 characters long, over the limit of 8192$/],
    ['a model name over 100 characters', rawRequest('GET', `/v2/models/${'m'.repeat(200)}`), 414, /is exceeding the max param length/],
    ['a bad %-escape', rawRequest('GET', '/v2/models/%zz'), 400, /'\/v2\/models\/%zz' is not a valid url component/],
    ['a body over the limit', rawRequest('POST', '/predict', 'x'.repeat(5000), JSON_TYPE), 413, /^the request body is larger than 4096 bytes, the limit$/],
  ])('%s', async (_, bytes, status, message) => {
    const response = await exchange(port, bytes);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(JSON.parse(response.body))).toEqual(['error']);
    expect(JSON.parse(response.body).error).toMatch(message);
  });

  it('serves HTTP/1.0 requests without Host', async () => {
    const response = await exchange(port, 'GET /v2/health/live HTTP/1.0\r\n\r\n');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ live: true });
  });
});

describe('Content-Encoding', () => {
  const send = (body: Buffer | string, encoding: string) =>
    app.inject({ method: 'POST', url: '/v2/models/xor/infer', payload: body, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });

  it('reads gzip bodies like plain ones, and identity', async () => {
    const plain = (await send(PAIR, 'identity')).json();
    expect(plain.outputs[0].data).toHaveLength(1);
    const zipped = await send(gzipSync(PAIR), 'gzip');
    expect(zipped.statusCode).toBe(200);
    expect(zipped.json()).toEqual(plain);
  });

  it('holds the decompressed size to the body limit', async () => {
    const bomb = gzipSync(JSON.stringify({ inputs: [], id: ' '.repeat(1_000_000) }));
    expect(bomb.length).toBeLessThan(4096);
    const response = await send(bomb, 'gzip');
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'the request body is larger than 4096 bytes, the limit' });
  });

  it('answers 400 to a body that is not gzip, and 415 to other encodings', async () => {
    const broken = await send(PAIR, 'gzip');
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatch(/^the gzip body cannot be decompressed: incorrect header check$/);
    for (const encoding of ['br', 'deflate', 'gzip, br']) {
      const response = await send(PAIR, encoding);
      expect(response.statusCode).toBe(415);
      expect(response.json().error).toBe(`unsupported content encoding ${JSON.stringify(encoding)}; send the body as gzip or uncompressed`);
    }
  });
});

describe('timeouts', () => {
  const TIMEOUT_MS = 300;
  let slow: ReturnType<typeof createServer>;
  let slowPort: number;
  beforeAll(async () => {
    slow = createServer(model, { name: 'xor', requestTimeoutMs: TIMEOUT_MS, keepAliveTimeoutMs: 200 });
    await slow.listen({ host: '127.0.0.1', port: 0 });
    slowPort = (slow.server.address() as { port: number }).port;
  });
  afterAll(() => slow.close());

  const timedOut = /^request timed out: the headers must arrive within 0\.3 s and the whole request within 0\.3 s$/;

  it('answers 408 to a body that stops after 10 of 100 declared bytes, within about the timeout', async () => {
    const connection = new RawConnection(slowPort);
    const started = Date.now();
    connection.write(rawRequest('POST', '/predict', '', { ...JSON_TYPE, 'Content-Length': '100' }) + '{"x1":[[0]');
    const response = await connection.closed;
    expect(response.status).toBe(408);
    expect(JSON.parse(response.body).error).toMatch(timedOut);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 10);
  });

  it('answers 408 to a body trickling in a byte at a time', async () => {
    const connection = new RawConnection(slowPort);
    await connection.ready();
    const body = '{"x1":[[0]],"x2":[[1]]}';
    connection.write(rawRequest('POST', '/predict', '', { ...JSON_TYPE, 'Content-Length': String(body.length) }));
    let sent = 0;
    const trickle = setInterval(() => sent < body.length && connection.write(body[sent++]!), 50);
    const response = await connection.closed;
    clearInterval(trickle);
    expect(response.status).toBe(408);
    expect(sent).toBeLessThan(body.length);
  });

  it('answers 408 to headers that never end and to a connection that sends nothing', async () => {
    const partial = new RawConnection(slowPort).write('GET /v2 HTTP/1.1\r\nHost: x\r\n');
    const silent = new RawConnection(slowPort);
    for (const response of await Promise.all([partial.closed, silent.closed])) {
      expect(response.status).toBe(408);
      expect(JSON.parse(response.body).error).toMatch(timedOut);
    }
  });

  it('does not time out a request that arrived in time, however long inference takes', async () => {
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const late = { ...model, inputs: model.inputs, outputs: model.outputs, producer: model.producer, predict: async (inputs: Parameters<Model['predict']>[0]) => (await held, model.predict(inputs)) } as Model;
    const server = createServer(late, { name: 'xor', requestTimeoutMs: TIMEOUT_MS, batching: false });
    try {
      const address = await server.listen({ host: '127.0.0.1', port: 0 });
      const response = fetch(`${address}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x1":[[0]],"x2":[[1]]}' });
      setTimeout(release, TIMEOUT_MS * 3);
      expect((await response).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const connection = new RawConnection(slowPort);
    connection.write(rawRequest('GET', '/v2/health/live'));
    const first = await connection.response();
    expect(first.status).toBe(200);
    expect(first.headers['keep-alive']).toBeDefined();
    const started = Date.now();
    await connection.closed;
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
