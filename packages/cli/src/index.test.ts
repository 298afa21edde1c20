import { describe, expectTypeOf, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Model } from '@onnxpipe/runtime';
import { closeWithin, createServer, main, type CliIO, type ServerOptions } from './index.js';

describe('public API', () => {
  it('has the documented signatures', () => {
    expectTypeOf(main).toEqualTypeOf<(argv: readonly string[], io?: CliIO) => Promise<number>>();
    expectTypeOf(createServer).toEqualTypeOf<(model: Model, options?: ServerOptions) => FastifyInstance>();
    expectTypeOf<CliIO['signal']>().toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf<ServerOptions>().toMatchTypeOf<{
      name?: string;
      maxBodyBytes?: number;
      maxElements?: number;
      batching?: boolean;
      requestTimeoutMs?: number;
      headersTimeoutMs?: number;
      keepAliveTimeoutMs?: number;
    }>();
    expectTypeOf(closeWithin).toEqualTypeOf<(app: FastifyInstance, graceMs: number) => Promise<number>>();
    expectTypeOf<CliIO['readStdin']>().toEqualTypeOf<(() => Promise<string>) | undefined>();
  });
});
