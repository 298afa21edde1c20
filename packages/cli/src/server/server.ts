import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Model, NestedNumbers, TensorData } from '@onnxpipe/runtime';
import { createBatcher, type Predict } from './batcher.js';
import { errorHandler, type ServerErrorListener } from './error-handler.js';
import { HttpError } from './http-error.js';
import { decodeInputs, encodeOutput, selectOutputs, type InferRequest, type InferResponse } from './infer.js';
import { modelMetadata, serverMetadata } from './metadata.js';
import {
  errorSchema,
  inferRequestSchema,
  inferResponseSchema,
  modelMetadataSchema,
  predictRequestSchema,
} from './schemas.js';
import { countElements, nestedToTensor } from './tensors.js';

export interface ServerOptions {
  /** The model's name in `/v2/models/{name}` routes. Default `'model'`. */
  name?: string;
  /** Largest request body in bytes; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Most tensor elements (all inputs together) one request may send; more get 413. Default 1,000,000. */
  maxElements?: number;
  /**
   * Run requests that arrive together as one batch when every input and output shares a batch dimension.
   * That is right only when rows do not affect each other, which onnxpipe's exports guarantee: the
   * default is on for a model whose producer is onnxpipe, off for any other.
   */
  batching?: boolean;
  /** Called for errors answered with 500 (onnxruntime failing), e.g. to log them. */
  onServerError?: ServerErrorListener;
  /** Fastify's logger option. Default off. */
  logger?: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ELEMENTS = 1_000_000;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

type NamedRequest = FastifyRequest<{ Params: { name: string } }>;

/**
 * A fastify server for one model speaking the Open Inference Protocol v2 (REST) plus `POST /predict`.
 * Every error is answered as `{ "error": message }`. Closing the server does not close the model.
 */
export function createServer(model: Model, options: ServerOptions = {}): FastifyInstance {
  const name = options.name ?? 'model';
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const batching = options.batching ?? model.producer.name === 'onnxpipe';
  const predict: Predict = batching ? createBatcher(model, maxElements) : (tensors) => model.predict(tensors);
  const app = Fastify({
    bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    logger: options.logger ?? false,
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
  });

  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler(options.onServerError));
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url}` }));

  const allow = (url: string, allowed: (typeof METHODS)[number]) =>
    app.route({
      method: METHODS.filter((m) => m !== allowed),
      url,
      handler: (request, reply) =>
        reply.code(405).header('allow', allowed).send({ error: `method ${request.method} is not allowed on ${url}; use ${allowed}` }),
    });
  const unknownModel = (request: NamedRequest, reply: FastifyReply) =>
    reply.code(404).send({ error: `unknown model '${request.params.name}'; this server serves '${name}'` });
  const errors = { '4xx': errorSchema };
  const base = `/v2/models/${encodeURIComponent(name)}`;

  app.get('/v2/health/live', () => ({ live: true }));
  app.get('/v2/health/ready', () => ({ ready: true }));
  app.get('/v2', () => serverMetadata());
  app.get(base, { schema: { response: { 200: modelMetadataSchema, ...errors } } }, () => modelMetadata(name, model));
  app.get(`${base}/ready`, () => ({ name, ready: true }));
  app.post<{ Body: InferRequest }>(
    `${base}/infer`,
    { schema: { body: inferRequestSchema, response: { 200: inferResponseSchema, ...errors } } },
    async (request): Promise<InferResponse> => {
      const { id, inputs, outputs } = request.body;
      const wanted = selectOutputs(model, outputs);
      const results = await predict(decodeInputs(model, inputs, maxElements));
      const encoded = wanted.map((info) => encodeOutput(results[info.name]!));
      return id === undefined ? { model_name: name, outputs: encoded } : { model_name: name, id, outputs: encoded };
    },
  );
  // Static routes win over parametric ones in fastify's router, so these only see other model names.
  for (const suffix of ['', '/ready', '/infer']) app.all(`/v2/models/:name${suffix}`, unknownModel);

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

  for (const url of ['/v2/health/live', '/v2/health/ready', '/v2', base, `${base}/ready`]) allow(url, 'GET');
  for (const url of [`${base}/infer`, '/predict']) allow(url, 'POST');
  return app;
}
