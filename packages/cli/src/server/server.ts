import { maxHeaderSize } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Model, NestedNumbers, TensorData } from '@onnxpipe/runtime';
import { createBatcher, type Predict } from './batcher.js';
import { errorHandler, type ServerErrorListener } from './error-handler.js';
import { HttpError } from './http-error.js';
import {
  answerConnect,
  checkRequestLine,
  clientErrorHandler,
  decodeContentEncoding,
  refuseMethods,
  routeEveryMethod,
} from './http-layer.js';
import { decodeInputs, encodeOutput, selectOutputs, type InferRequest, type InferResponse } from './infer.js';
import { MODEL_VERSION, modelMetadata, serverMetadata } from './metadata.js';
import {
  errorSchema,
  inferRequestSchema,
  inferResponseSchema,
  modelMetadataSchema,
  predictRequestSchema,
} from './schemas.js';
import { trackConnections } from './shutdown.js';
import { countElements, nestedToTensor } from './tensors.js';

export interface ServerOptions {
  /** The model's name in `/v2/models/{name}` routes. Default `'model'`. */
  name?: string;
  /** Largest request body in bytes (after gzip decompression); larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Most tensor elements (all inputs together) one request may send; more get 413. Default 1,000,000. */
  maxElements?: number;
  /**
   * Run requests that arrive together as one batch when every input and output shares a batch dimension.
   * That is right only when rows do not affect each other, which onnxpipe's exports guarantee: the
   * default is on for a model whose producer is onnxpipe, off for any other.
   */
  batching?: boolean;
  /** A request (headers and body) not fully received within this many milliseconds gets 408. Default 30,000. */
  requestTimeoutMs?: number;
  /** Headers not fully received within this many milliseconds get 408. Default 10,000 (at most `requestTimeoutMs`). */
  headersTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this many milliseconds. Default 5,000. */
  keepAliveTimeoutMs?: number;
  /** Called for errors answered with 500 (onnxruntime failing), e.g. to log them. */
  onServerError?: ServerErrorListener;
  /** Fastify's logger option. Default off. */
  logger?: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ELEMENTS = 1_000_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;

type NamedRequest = FastifyRequest<{ Params: { name: string; version?: string } }>;

/** fastify's errors raised before routing (a bad %-escape, an overlong path parameter) as `{ "error": … }`. */
const frameworkErrors = (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) =>
  reply.code(error.statusCode ?? 400).send({ error: error.message });

/**
 * A fastify server for one model speaking the Open Inference Protocol v2 (REST) plus `POST /predict`.
 * Every error is answered as `{ "error": message }`, those of the HTTP layer included. Closing the server
 * does not close the model; `closeWithin` closes the server with a bounded grace period.
 */
export function createServer(model: Model, options: ServerOptions = {}): FastifyInstance {
  const name = options.name ?? 'model';
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headersTimeoutMs = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs);
  const batching = options.batching ?? model.producer.name === 'onnxpipe';
  const predict: Predict = batching ? createBatcher(model, maxElements) : (tensors) => model.predict(tensors);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = Fastify({
    bodyLimit: maxBodyBytes,
    logger: options.logger ?? false,
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    // Node checks the timeouts every connectionsCheckingInterval: a tenth of the timeout (at most 1 s) keeps them close to exact.
    http: { requireHostHeader: false, headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs / 10) },
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler: clientErrorHandler({ requestTimeoutMs, headersTimeoutMs, maxHeaderBytes: maxHeaderSize }),
  });

  routeEveryMethod(app);
  trackConnections(app);
  app.addHook('onRequest', checkRequestLine);
  app.addHook('preParsing', decodeContentEncoding);
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler(options.onServerError, maxBodyBytes));
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url}` }));

  /** Methods served per path, for 405 answers. */
  const served = new Map<string, string[]>();
  const serve = (url: string, methods: string[]) => served.set(url, [...(served.get(url) ?? []), ...methods]);
  const get = <T>(url: string, handler: () => T, schema?: object) => {
    app.get(url, schema ? { schema } : {}, handler);
    serve(url, ['GET', 'HEAD']);
  };

  const errors = { '4xx': errorSchema };
  const infer = async (request: FastifyRequest<{ Body: InferRequest }>): Promise<InferResponse> => {
    const { id, inputs, outputs } = request.body;
    const wanted = selectOutputs(model, outputs);
    const results = await predict(decodeInputs(model, inputs, maxElements));
    const encoded = wanted.map((info) => encodeOutput(results[info.name]!));
    return id === undefined ? { model_name: name, outputs: encoded } : { model_name: name, id, outputs: encoded };
  };

  get('/v2/health/live', () => ({ live: true }));
  get('/v2/health/ready', () => ({ ready: true }));
  get('/v2', () => serverMetadata());
  const base = `/v2/models/${encodeURIComponent(name)}`;
  for (const prefix of [base, `${base}/versions/${MODEL_VERSION}`]) {
    get(prefix, () => modelMetadata(name, model), { response: { 200: modelMetadataSchema, ...errors } });
    get(`${prefix}/ready`, () => ({ name, ready: true }));
    app.post<{ Body: InferRequest }>(`${prefix}/infer`, { schema: { body: inferRequestSchema, response: { 200: inferResponseSchema, ...errors } } }, infer);
    serve(`${prefix}/infer`, ['POST']);
  }

  /** The fast path of /predict: nested arrays turned into tensors here; `undefined` leaves odd bodies to the runtime. */
  const predictTensors = (body: Record<string, unknown>) => {
    const tensors: Record<string, TensorData> = {};
    for (const info of model.inputs) {
      const tensor = Object.hasOwn(body, info.name) ? nestedToTensor(body[info.name], info.dtype) : undefined;
      if (!tensor) return undefined;
      tensors[info.name] = tensor;
    }
    return Object.keys(body).length === model.inputs.length ? predict(tensors) : undefined;
  };

  app.post<{ Body: Record<string, unknown> }>('/predict', { schema: { body: predictRequestSchema } }, async (request) => {
    let total = 0;
    for (const [input, value] of Object.entries(request.body)) {
      total += countElements(input, value, maxElements - total);
      if (total > maxElements) {
        throw new HttpError(413, `the request's inputs hold more than ${maxElements} elements, the limit`);
      }
    }
    const results = (await predictTensors(request.body)) ?? (await model.predict(request.body as Record<string, NestedNumbers>));
    const out: Record<string, NestedNumbers> = {};
    for (const [output, tensor] of Object.entries(results)) out[output] = tensor.toArray();
    return out;
  });
  serve('/predict', ['POST']);

  // Static routes win over parametric ones in fastify's router, so these only see other names and versions.
  const notServed = (request: NamedRequest, reply: FastifyReply) => {
    const { name: asked, version } = request.params;
    const error =
      asked === name && version !== undefined
        ? `model '${name}' has no version '${version}'; this server serves version ${MODEL_VERSION}`
        : `unknown model '${asked}'; this server serves '${name}'`;
    return reply.code(404).send({ error });
  };
  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    for (const suffix of ['', '/ready', '/infer']) app.all(`${prefix}${suffix}`, notServed);
  }

  for (const [url, allowed] of served) refuseMethods(app, url, app.supportedMethods.filter((m) => !allowed.includes(m)), allowed);
  app.server.on('connect', answerConnect((path) => served.get(path)));
  return app;
}
