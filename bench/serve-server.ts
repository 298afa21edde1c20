/**
 * The servers the serve benchmark loads, in a process of their own so the load generator does not share
 * their event loop: the XOR model behind `createServer` (with and without batching), and a fastify no-op
 * POST route (the ceiling). Prints `{ "model": port, "plain": port, "noop": port }` once all listen on
 * 127.0.0.1; exits on SIGTERM.
 */
import Fastify from 'fastify';
import { exportInference, initParams } from '@onnxpipe/graph-builder';
import { loadModel } from '@onnxpipe/runtime';
import { createServer } from '@onnxpipe/cli';
import { xorModel } from '../models/xor.js';

const net = xorModel();
const model = await loadModel(exportInference(net, initParams(net, { seed: 1 })), { intraOpNumThreads: 1 });
const app = createServer(model, { name: 'xor' });
const plain = createServer(model, { name: 'xor', batching: false });
const noop = Fastify();
noop.post('/noop', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
await plain.listen({ host: '127.0.0.1', port: 0 });
await noop.listen({ host: '127.0.0.1', port: 0 });
const port = (server: { server: { address(): unknown } }) => (server.server.address() as { port: number }).port;
process.stdout.write(`${JSON.stringify({ model: port(app), plain: port(plain), noop: port(noop) })}\n`);
process.once('SIGTERM', () => {
  void Promise.all([app.close(), plain.close(), noop.close()]).then(() => model.close());
});
