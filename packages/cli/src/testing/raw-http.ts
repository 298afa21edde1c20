import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent. */
  text: string;
}

/** Parses the first HTTP/1.1 response in `text` (Content-Length bodies only). */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end < 0 ? text.length : end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = end < 0 ? '' : text.slice(end + 4, end + 4 + length);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body, text };
}

/** A raw TCP connection to a local port: write bytes as you like, read what comes back until it closes. */
export class RawConnection {
  readonly socket: Socket;
  text = '';
  readonly closed: Promise<RawResponse>;
  private readonly connected: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => (this.text += String(chunk)));
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) => {
      this.socket.on('error', () => undefined);
      this.socket.once('close', () => resolve(parseResponse(this.text)));
    });
  }

  /** Resolves once the TCP connection is open. */
  ready(): Promise<void> {
    return this.connected;
  }

  write(bytes: string): this {
    this.socket.write(bytes);
    return this;
  }

  /** Resolves once the server has sent a whole response (headers and Content-Length body). */
  response(): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const response = parseResponse(this.text);
        if (response.status > 0 && this.text.length >= this.text.indexOf('\r\n\r\n') + 4 + Number(response.headers['content-length'] ?? 0)) {
          this.socket.off('data', check);
          resolve(response);
          return true;
        }
        return false;
      };
      if (check()) return;
      this.socket.on('data', check);
      void this.closed.then(() => (check() ? undefined : reject(new Error(`connection closed before a whole response: ${JSON.stringify(this.text)}`))));
    });
  }
}

/** Sends `bytes` on a new connection, half-closes it, and resolves with what came back once the server closes it. */
export function exchange(port: number, bytes: string): Promise<RawResponse> {
  const connection = new RawConnection(port);
  connection.socket.end(bytes);
  return connection.closed;
}

/** A request as raw bytes, with Host and Content-Length filled in. */
export function rawRequest(method: string, path: string, body = '', headers: Record<string, string> = {}): string {
  const all: Record<string, string> = { Host: 'localhost', ...headers };
  if (body !== '' && all['Content-Length'] === undefined) all['Content-Length'] = String(Buffer.byteLength(body));
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n')}\r\n\r\n${body}`;
}
