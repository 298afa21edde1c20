import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RuntimeInputError } from '@onnxpipe/runtime';
import { HttpError } from './http-error.js';

/** Called with errors answered 5xx (the server's fault rather than the request's). */
export type ServerErrorListener = (error: Error, request: { method: string; url: string }) => void;

/** zlib's errors while decompressing a gzip body (Z_DATA_ERROR, Z_BUF_ERROR, …). */
const isZlibError = (error: FastifyError) => typeof error.code === 'string' && error.code.startsWith('Z_');

function statusOf(error: FastifyError): number {
  if (error instanceof HttpError) return error.statusCode;
  if (error instanceof RuntimeInputError || error.validation || isZlibError(error)) return 400;
  const status = error.statusCode;
  return status !== undefined && status >= 400 && status < 500 ? status : 500;
}

function messageOf(error: FastifyError, status: number, request: FastifyRequest, maxBodyBytes: number): string {
  if (status >= 500) return `inference failed: ${error.message}`;
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? 'none')}; send JSON with content-type: application/json`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is larger than ${maxBodyBytes} bytes, the limit`;
    default:
      return isZlibError(error) ? `the gzip body cannot be decompressed: ${error.message}` : error.message;
  }
}

/** Answers every error as `{ "error": message }` with a 4xx status for bad requests and 500 otherwise. */
export const errorHandler =
  (onServerError: ServerErrorListener | undefined, maxBodyBytes: number) =>
  (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = statusOf(error);
    if (status >= 500) {
      request.log.error(error);
      onServerError?.(error, request);
    }
    return reply.code(status).send({ error: messageOf(error, status, request, maxBodyBytes) });
  };
