import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelState } from '@onnxpipe/graph-builder';
import { main } from '../cli.js';
import { OutputWatcher } from '../testing/output-watcher.js';
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
    expect(stdout.text).toMatch(/shutting down: finishing requests in flight\nstopped\n$/);
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
  });

  it('uses --name, the size limits and --no-batching', async () => {
    const stdout = new OutputWatcher();
    const controller = new AbortController();
    const exit = main(['serve', model, '--port', '0', '--name', 'gate', '--max-body-bytes', '100', '--max-elements', '3', '--no-batching'], {
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
  it('finishes a request in flight on SIGTERM, refuses new connections, then exits 0', async () => {
    const child = startCli(['serve', model, '--port', '0']);
    const stdout = new OutputWatcher();
    child.stdout.on('data', stdout.write);
    child.stderr.on('data', stdout.write);
    const exited = once(child, 'exit');
    try {
      const [, , url, port] = (await stdout.waitFor(LISTENING)) as unknown as [string, string, string, string];
      const req = request({
        host: '127.0.0.1',
        port: Number(port),
        method: 'POST',
        path: '/v2/models/xor/infer',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(pairBody) },
      });
      const response = once(req, 'response') as Promise<[IncomingMessage]>;
      req.write(pairBody.slice(0, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGTERM');
      await stdout.waitFor(/shutting down/);
      await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
      req.end(pairBody.slice(20));
      const [res] = await response;
      let text = '';
      for await (const chunk of res) text += String(chunk);
      expect(res.statusCode).toBe(200);
      const body = JSON.parse(text) as { outputs: { data: number[] }[] };
      expect(body.outputs[0]!.data[0]).toBeCloseTo(xorByHand(state, 1, 1), 5);
      const [code] = await exited;
      expect(code).toBe(0);
      expect(stdout.text).toMatch(/stopped\n$/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
