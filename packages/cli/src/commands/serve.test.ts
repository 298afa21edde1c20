import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelState } from '@onnxpipe/graph-builder';
import { main } from '../cli.js';
import { OutputWatcher } from '../testing/output-watcher.js';
import { rawRequest, RawConnection } from '../testing/raw-http.js';
import { runCli } from '../testing/run-cli.js';
import { startCli } from '../testing/spawn-cli.js';
import { tempDir, writeXorModel, xorByHand } from '../testing/xor-model.js';

let model: string;
let state: ModelState;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const temp = await tempDir();
  cleanup = temp.cleanup;
  ({ path: model, state } = await writeXorModel(temp.dir));
});
afterAll(() => cleanup());

const LISTENING = /serving model '([^']+)' at (http:\/\/127\.0\.0\.1:(\d+))/;
const pairBody = JSON.stringify({
  inputs: [
    { name: 'x1', shape: [1, 1], datatype: 'FP32', data: [1] },
    { name: 'x2', shape: [1, 1], datatype: 'FP32', data: [1] },
  ],
});

describe('onnxpipe serve', () => {
  it('serves the model under its file name until the signal aborts, then stops', async () => {
    const stdout = new OutputWatcher();
    const controller = new AbortController();
    const exit = main(['serve', model, '--port', '0'], { stdout: stdout.write, stderr: stdout.write, signal: controller.signal });
    const [, name, url] = (await stdout.waitFor(LISTENING)) as unknown as [string, string, string];
    expect(name).toBe('xor');
    const metadata = await fetch(`${url}/v2/models/xor`);
    expect(metadata.status).toBe(200);
    const predicted = (await (await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x1":[[0]],"x2":[[1]]}' })).json()) as {
      dense_1: number[][];
    };
    expect(predicted.dense_1[0]![0]).toBeCloseTo(xorByHand(state, 0, 1), 5);
    controller.abort();
    expect(await exit).toBe(0);
    expect(stdout.text).toMatch(/shutting down: finishing requests in flight \(at most 10 s\)\nstopped\n$/);
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
  });

  it('uses --name and the size limits', async () => {
    const stdout = new OutputWatcher();
    const controller = new AbortController();
    const exit = main(['serve', model, '--port', '0', '--name', 'gate', '--max-body-bytes', '100', '--max-elements', '3'], {
      stdout: stdout.write,
      stderr: stdout.write,
      signal: controller.signal,
    });
    const [, , url] = (await stdout.waitFor(LISTENING)) as unknown as [string, string, string];
    const post = (path: string, body: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('/v2/models/gate/infer', pairBody)).status).toBe(413);
    expect((await post('/predict', '{"x1":[[0],[1]],"x2":[[1],[1]]}')).status).toBe(413);
    expect((await post('/predict', '{"x1":[[0]],"x2":[[1]]}')).status).toBe(200);
    controller.abort();
    expect(await exit).toBe(0);
  });

  describe('--no-batching', () => {
    const CONCURRENT = 6;

    /** Starts serve with `flags`, sends CONCURRENT requests that all arrive in one event-loop turn, and counts onnxruntime runs. */
    async function runsFor(flags: string[]): Promise<number> {
      const stdout = new OutputWatcher();
      const controller = new AbortController();
      const exit = main(['serve', model, '--port', '0', ...flags], { stdout: stdout.write, stderr: stdout.write, signal: controller.signal });
      const [, , , port] = (await stdout.waitFor(LISTENING)) as unknown as [string, string, string, string];
      const connections = Array.from({ length: CONCURRENT }, () => new RawConnection(Number(port)));
      // Warm every connection first, so the requests below only wait on the server reading them.
      for (const c of connections) c.write(rawRequest('GET', '/v2/health/ready'));
      for (const c of connections) await c.response();
      for (const c of connections) c.text = '';
      // onnxruntime-node's sessions are instances of onnxruntime-common's InferenceSession class.
      const run = vi.spyOn((InferenceSession as unknown as { prototype: InferenceSession }).prototype, 'run');
      try {
        for (const [i, c] of connections.entries()) {
          c.write(rawRequest('POST', '/predict', `{"x1":[[${i % 2}]],"x2":[[1]]}`, { 'Content-Type': 'application/json' }));
        }
        const responses = await Promise.all(connections.map((c) => c.response()));
        responses.forEach((r, i) => expect((JSON.parse(r.body) as { dense_1: number[][] }).dense_1[0]![0]).toBeCloseTo(xorByHand(state, i % 2, 1), 5));
        return run.mock.calls.length;
      } finally {
        run.mockRestore();
        for (const c of connections) c.socket.destroy();
        controller.abort();
        expect(await exit).toBe(0);
      }
    }

    it('runs concurrent requests one onnxruntime call each', async () => {
      expect(await runsFor(['--no-batching'])).toBe(CONCURRENT);
    });

    it('(without it, the same requests share one call)', async () => {
      expect(await runsFor([])).toBe(1);
    });
  });

  /** Starts serve in-process with `flags`; returns its port, output, exit code promise and a stop function. */
  async function serveInProcess(flags: string[]) {
    const stdout = new OutputWatcher();
    const controller = new AbortController();
    const exit = main(['serve', model, '--port', '0', ...flags], { stdout: stdout.write, stderr: stdout.write, signal: controller.signal });
    const [, , , port] = (await stdout.waitFor(LISTENING)) as unknown as [string, string, string, string];
    return { port: Number(port), stdout, exit, stop: () => controller.abort() };
  }

  /** A connection whose request the server has taken (it answered 100 Continue) but whose body never comes. */
  async function stalledRequest(port: number) {
    const connection = new RawConnection(port).write(
      rawRequest('POST', '/predict', '', { 'Content-Type': 'application/json', 'Content-Length': '100', Expect: '100-continue' }),
    );
    expect((await connection.response()).status).toBe(100);
    return connection;
  }

  it('answers 408 to a request not received within --request-timeout', async () => {
    const { port, exit, stop } = await serveInProcess(['--request-timeout', '0.3']);
    const stalled = await stalledRequest(port);
    stalled.text = '';
    const response = await stalled.closed;
    expect(response.status).toBe(408);
    expect(JSON.parse(response.body).error).toMatch(/whole request within 0\.3 s$/);
    stop();
    expect(await exit).toBe(0);
  });

  it('closes connections still busy after --shutdown-timeout and says how many', async () => {
    const { port, stdout, exit, stop } = await serveInProcess(['--shutdown-timeout', '0.2']);
    const stalled = await stalledRequest(port);
    const stopped = Date.now();
    stop();
    expect(await exit).toBe(0);
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(stdout.text).toMatch(/shutting down: finishing requests in flight \(at most 0\.2 s\)\nclosed 1 connection still open after 0\.2 s\nstopped\n$/);
    await stalled.closed;
  });

  it('fails with one line when the port is taken', async () => {
    const blocker = createNetServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stderr } = await runCli(['serve', model, '--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^onnxpipe: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\n$`));
    } finally {
      blocker.close();
    }
  });

  it.each([
    [['--port', '70000'], 2, /^onnxpipe: --port must be at most 65535, got 70000/],
    [['--port', 'http'], 2, /^onnxpipe: --port must be an integer ≥ 0, got NaN/],
    [['--max-elements', '0'], 2, /^onnxpipe: --max-elements must be an integer ≥ 1, got 0/],
    [['--max-body-bytes', '1.5'], 2, /^onnxpipe: --max-body-bytes must be an integer ≥ 1, got 1\.5/],
    [['--name', 'a b'], 2, /^onnxpipe: invalid model name 'a b'/],
    [['--request-timeout', '0'], 2, /^onnxpipe: --request-timeout must be a number of seconds > 0, got 0/],
    [['--shutdown-timeout', '-1'], 2, /^onnxpipe: --shutdown-timeout must be a number of seconds > 0, got -1/],
  ])('refuses %j', async (flags, exit, message) => {
    const { code, stderr } = await runCli(['serve', model, ...flags]);
    expect(code).toBe(exit);
    expect(stderr).toMatch(message);
  });

  it('fails on a missing model file', async () => {
    const { code, stderr } = await runCli(['serve', 'no-such-model.onnx', '--port', '0']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^onnxpipe: cannot read model file 'no-such-model\.onnx': ENOENT/);
  });
});

describe('onnxpipe serve in a child process', () => {
  it('on SIGTERM closes idle and silent connections, finishes the request in flight with Connection: close, refuses new ones, exits 0', async () => {
    const child = startCli(['serve', model, '--port', '0']);
    const stdout = new OutputWatcher();
    child.stdout.on('data', stdout.write);
    child.stderr.on('data', stdout.write);
    const exited = once(child, 'exit');
    try {
      const [, , url, port] = (await stdout.waitFor(LISTENING)) as unknown as [string, string, string, string];
      const idle = new RawConnection(Number(port)).write(rawRequest('GET', '/v2/health/live'));
      expect((await idle.response()).headers.connection).toBe('keep-alive');
      const silent = new RawConnection(Number(port));
      await silent.ready();
      const inFlight = new RawConnection(Number(port)).write(
        rawRequest('POST', '/v2/models/xor/infer', '', { 'Content-Type': 'application/json', 'Content-Length': String(pairBody.length), Expect: '100-continue' }),
      );
      // 100 Continue: the server has read the headers and taken the request.
      expect((await inFlight.response()).status).toBe(100);
      inFlight.text = '';
      inFlight.write(pairBody.slice(0, 20));
      child.kill('SIGTERM');
      await stdout.waitFor(/shutting down/);
      await Promise.all([idle.closed, silent.closed]);
      await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
      inFlight.write(pairBody.slice(20));
      const response = await inFlight.closed;
      expect(response.status).toBe(200);
      expect(response.headers.connection).toBe('close');
      const body = JSON.parse(response.body) as { outputs: { data: number[] }[] };
      expect(body.outputs[0]!.data[0]).toBeCloseTo(xorByHand(state, 1, 1), 5);
      const [code] = await exited;
      expect(code).toBe(0);
      expect(stdout.text).toMatch(/stopped\n$/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
