import { once } from 'node:events';
import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '@onnxpipe/runtime';
import { CliError, UsageError } from '../errors.js';
import { shutdownSignal, type CliIO } from '../io.js';
import { checkModelName, defaultModelName } from '../model-name.js';
import { createServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ELEMENTS, DEFAULT_REQUEST_TIMEOUT_MS } from '../server/server.js';
import { closeWithin } from '../server/shutdown.js';

/** How long requests in flight may take to finish after SIGTERM, by default. */
export const DEFAULT_SHUTDOWN_TIMEOUT_S = 10;

interface ServeArgs {
  model: string;
  port: number;
  host: string;
  name?: string;
  'max-body-bytes': number;
  'max-elements': number;
  batching: boolean | undefined;
  'request-timeout': number;
  'shutdown-timeout': number;
}

const positiveInteger = (flag: string, value: number, min: number) => {
  if (!(Number.isInteger(value) && value >= min)) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got ${String(value)}`);
};
const positiveSeconds = (flag: string, value: number) => {
  if (!(value > 0 && Number.isFinite(value))) throw new UsageError(`--${flag} must be a number of seconds > 0, got ${String(value)}`);
};

export const serveCommand = (io: CliIO): CommandModule<object, ServeArgs> => ({
  command: 'serve <model>',
  describe: 'Serve a model over HTTP: Open Inference Protocol v2 (/v2/…) and POST /predict',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', describe: 'Path to an .onnx file', demandOption: true })
      .option('port', { type: 'number', default: 8080, requiresArg: true, describe: 'TCP port (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', requiresArg: true, describe: 'Address to bind; 0.0.0.0 for every interface' })
      .option('name', { type: 'string', requiresArg: true, describe: 'Model name in /v2/models/<name> (default: the file name without .onnx)' })
      .option('max-body-bytes', { type: 'number', default: DEFAULT_MAX_BODY_BYTES, requiresArg: true, describe: 'Largest request body; larger ones get 413' })
      .option('max-elements', { type: 'number', default: DEFAULT_MAX_ELEMENTS, requiresArg: true, describe: 'Most tensor elements per request; more get 413' })
      .option('request-timeout', {
        type: 'number',
        default: DEFAULT_REQUEST_TIMEOUT_MS / 1000,
        requiresArg: true,
        describe: 'Seconds a client has to send a whole request (headers and body); later gets 408',
      })
      .option('shutdown-timeout', {
        type: 'number',
        default: DEFAULT_SHUTDOWN_TIMEOUT_S,
        requiresArg: true,
        describe: 'Seconds requests in flight have to finish after SIGTERM/SIGINT before their connections are closed',
      })
      .option('batching', {
        type: 'boolean',
        describe: 'Run requests that arrive together as one batch; right only when rows do not affect each other (default: on for models exported by onnxpipe, off for others)',
      })
      .check((args) => {
        positiveInteger('port', args.port, 0);
        if (args.port > 65535) throw new UsageError(`--port must be at most 65535, got ${args.port}`);
        positiveInteger('max-body-bytes', args['max-body-bytes'], 1);
        positiveInteger('max-elements', args['max-elements'], 1);
        positiveSeconds('request-timeout', args['request-timeout']);
        positiveSeconds('shutdown-timeout', args['shutdown-timeout']);
        return true;
      })
      .example('$0 serve xor.onnx --port 8080', 'Then: curl localhost:8080/v2/models/xor'),
  handler: async (args) => {
    const name = checkModelName(args.name ?? defaultModelName(args.model));
    const model = await loadModel(args.model);
    const app = createServer(model, {
      name,
      maxBodyBytes: args['max-body-bytes'],
      maxElements: args['max-elements'],
      batching: args.batching,
      requestTimeoutMs: args['request-timeout'] * 1000,
      onServerError: (error, request) => io.stderr(`onnxpipe: ${request.method} ${request.url} failed: ${error.message}\n`),
    });
    try {
      await app.listen({ host: args.host, port: args.port });
    } catch (error) {
      await model.close();
      throw new CliError(`cannot listen on ${args.host}:${args.port}: ${(error as Error).message}`);
    }
    const signal = io.signal ?? shutdownSignal();
    const { port } = app.server.address() as { port: number };
    const host = args.host.includes(':') ? `[${args.host}]` : args.host;
    io.stdout(`serving model '${name}' at http://${host}:${port} (Open Inference Protocol v2 under /v2, POST /predict)\n`);
    if (!signal.aborted) await once(signal, 'abort');
    const grace = args['shutdown-timeout'];
    io.stdout(`shutting down: finishing requests in flight (at most ${grace} s)\n`);
    const cut = await closeWithin(app, grace * 1000);
    if (cut > 0) io.stdout(`closed ${cut} connection${cut === 1 ? '' : 's'} still open after ${grace} s\n`);
    await model.close();
    io.stdout('stopped\n');
  },
});
