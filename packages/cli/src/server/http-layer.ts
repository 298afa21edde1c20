import { METHODS, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

/** Longest request target (path and query) answered normally; longer ones get 414. */
export const MAX_URL_LENGTH = 8192;

/** Writes a whole JSON error response to a raw socket (no fastify reply exists for it) and closes the socket. */
export function writeRawError(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: message });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}

/** Makes every method Node's HTTP parser knows routable (fastify knows only a few), so each can get a 405. */
export function routeEveryMethod(app: FastifyInstance): void {
  const known = new Set(app.supportedMethods);
  for (const method of METHODS) if (method !== 'CONNECT' && !known.has(method)) app.addHttpMethod(method);
}

/** Answers `method` on `url` with 405 and `Allow`, before any body is read. */
export function refuseMethods(app: FastifyInstance, url: string, methods: readonly string[], allowed: readonly string[]): void {
  app.route({
    method: [...methods],
    url,
    onRequest: async (request: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ error: `method ${request.method} is not allowed on ${url}; use ${allowed.join(' or ')}` }),
    // Never reached: onRequest has answered.
    handler: async () => undefined,
  });
}

/**
 * Node hands CONNECT requests to a 'connect' listener instead of the request handler, and without one
 * closes the connection with no answer: this answers 405 with `Allow` on a served path, else 404.
 */
export const answerConnect =
  (allowedOn: (path: string) => readonly string[] | undefined) => (request: IncomingMessage, socket: Duplex) => {
    const path = (request.url ?? '').split('?')[0]!;
    const allowed = allowedOn(path);
    if (allowed) {
      writeRawError(socket, 405, `method CONNECT is not allowed on ${path}; use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') });
    } else {
      writeRawError(socket, 404, `no route CONNECT ${request.url ?? ''}`);
    }
  };

interface ClientErrorLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  maxHeaderBytes: number;
}

const seconds = (ms: number) => `${ms / 1000} s`;

/**
 * Answers what Node's HTTP parser refuses (malformed requests, oversized headers, timeouts) as JSON
 * `{ "error": … }`, unless part of a response was already sent, then closes the connection.
 */
export const clientErrorHandler =
  ({ requestTimeoutMs, headersTimeoutMs, maxHeaderBytes }: ClientErrorLimits) =>
  (error: Error & { code?: string; reason?: string }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const response = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (!socket.writable || response?.headersSent) {
      socket.destroy();
    } else {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        writeRawError(
          socket,
          408,
          `request timed out: the headers must arrive within ${seconds(headersTimeoutMs)} and the whole request within ${seconds(requestTimeoutMs)}`,
        );
      } else if (error.code === 'HPE_HEADER_OVERFLOW') {
        writeRawError(socket, 431, `the request line and headers are larger than ${maxHeaderBytes} bytes`);
      } else {
        writeRawError(socket, 400, `malformed HTTP request: ${error.reason ?? error.message}`);
      }
    }
  };

/** 400 for an HTTP/1.1 request without `Host` (Node's own answer has no body), 414 for an overlong target. */
export async function checkRequestLine(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    return reply.code(400).header('connection', 'close').send({ error: 'missing Host header; HTTP/1.1 requests must send one' });
  }
  if (request.url.length > MAX_URL_LENGTH) {
    return reply.code(414).send({ error: `the request URL is ${request.url.length} characters long, over the limit of ${MAX_URL_LENGTH}` });
  }
}

/**
 * The request body as sent: passed through for no or `identity` encoding, decompressed for `gzip`
 * (fastify then holds the decompressed size to the body limit), 415 for any other encoding.
 */
export async function decodeContentEncoding(request: FastifyRequest, reply: FastifyReply, payload: Readable): Promise<Readable> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return payload;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new HttpError(415, `unsupported content encoding ${JSON.stringify(encoding)}; send the body as gzip or uncompressed`);
  }
  const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number };
  // fastify compares this, not the decompressed size, with Content-Length.
  gunzip.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => (gunzip.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => gunzip.destroy(error));
  reply.raw.once('close', () => gunzip.destroy());
  return payload.pipe(gunzip);
}
