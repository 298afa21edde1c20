import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RuntimeInputError } from '@onnxpipe/runtime';
import { HttpError } from './http-error.js';

/** Called with errors answered 5xx (the server's fault rather than the request's). */
export type ServerErrorListener = (error: Error, request: { method: string; url: string }) => void;

function statusOf(error: FastifyError): number {
  if (error instanceof HttpError) return error.statusCode;
  if (error instanceof RuntimeInputError || error.validation) return 400;
  const status = error.statusCode;
  return status !== undefined && status >= 400 && status < 500 ? status : 500;
}

/** Answers every error as `{ "error": message }` with a 4xx status for bad requests and 500 otherwise. */
export const errorHandler =
  (onServerError: ServerErrorListener | undefined) => (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = statusOf(error);
    if (status >= 500) {
      request.log.error(error);
      onServerError?.(error, request);
    }
    const message =
      status >= 500
        ? `inference failed: ${error.message}`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? 'none')}; send JSON with content-type: application/json`
          : error.message;
    return reply.code(status).send({ error: message });
  };
