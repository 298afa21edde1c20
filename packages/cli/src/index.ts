export { main } from './cli.js';
export type { CliIO } from './io.js';
export { createServer, type ServerOptions } from './server/server.js';
export { closeWithin } from './server/shutdown.js';
export type { ServerErrorListener } from './server/error-handler.js';
