import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

interface Connections {
  /** Every open connection. */
  open: Set<Socket>;
  /** Connections with a request being read or answered. */
  busy: Set<Socket>;
}

const tracked = new WeakMap<FastifyInstance, Connections>();

/**
 * Prepares `app` for a graceful close: once closing, responses carry `Connection: close`, and
 * connections without a request in flight (idle keep-alive, silent, or still sending headers) are
 * closed at once.
 */
export function trackConnections(app: FastifyInstance): void {
  const connections: Connections = { open: new Set(), busy: new Set() };
  tracked.set(app, connections);
  let closing = false;
  app.server.on('connection', (socket: Socket) => {
    connections.open.add(socket);
    socket.once('close', () => {
      connections.open.delete(socket);
      connections.busy.delete(socket);
    });
  });
  app.server.on('request', (request, response) => {
    const socket = request.socket as Socket;
    connections.busy.add(socket);
    response.once('close', () => connections.busy.delete(socket));
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('preClose', async () => {
    closing = true;
    for (const socket of connections.open) if (!connections.busy.has(socket)) socket.destroy();
  });
}

/**
 * Closes a server made by `createServer`: stops accepting, lets requests in flight finish for at most
 * `graceMs`, then closes the connections still open. Resolves with how many it had to cut.
 */
export async function closeWithin(app: FastifyInstance, graceMs: number): Promise<number> {
  const connections = tracked.get(app);
  if (!connections) throw new Error('closeWithin needs a server made by createServer');
  let cut = 0;
  const timer = setTimeout(() => {
    cut = connections.open.size;
    for (const socket of connections.open) socket.destroy();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
  return cut;
}
