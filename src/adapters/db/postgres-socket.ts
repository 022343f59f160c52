import { Socket, connect } from 'node:net';

/** What postgres.js passes to a custom `socket` factory. */
export interface SocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * A postgres.js socket factory that bounds time where the driver does not:
 * - connecting (TCP) gives up after `connectMs`;
 * - a connection that sent something (a query) and has heard nothing back for `silenceMs` is destroyed, so the
 *   query fails with CONNECTION_CLOSED instead of hanging while a frozen or vanished server keeps the socket open.
 * Idle connections (nothing awaiting an answer) are left alone. The watch sees the plain socket's writes and reads:
 * over TLS (postgres.js re-wraps the socket) it sees nothing and the bound falls back to TCP keepalive; a server
 * that stops in the middle of an answer it already started is not caught either.
 */
export function boundedSocketFactory(connectMs: number, silenceMs: number): (options: SocketOptions) => Promise<Socket> {
  let next = 0;
  return (options) =>
    new Promise((resolve, reject) => {
      const index = next++ % Math.max(1, options.host.length);
      const socket = options.path ? connect(options.path) : connect(options.port[index] ?? options.port[0] ?? 5432, options.host[index] ?? options.host[0]);
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`connecting to the database timed out after ${Math.round(connectMs / 1000)} s`), { code: 'CONNECT_TIMEOUT' });
        socket.destroy();
        reject(error);
      }, connectMs);
      const failed = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', failed);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', failed);
        watchSilence(socket, silenceMs);
        resolve(socket);
      });
    });
}

function watchSilence(socket: Socket, silenceMs: number): void {
  let unansweredSince: number | undefined;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    unansweredSince ??= Date.now();
    return write(...args);
  }) as Socket['write'];
  socket.on('data', () => {
    unansweredSince = undefined;
  });
  const check = setInterval(() => {
    if (socket.destroyed) clearInterval(check);
    else if (unansweredSince !== undefined && Date.now() - unansweredSince > silenceMs) {
      clearInterval(check);
      socket.destroy();
    }
  }, Math.min(1000, Math.max(50, silenceMs / 5)));
  check.unref();
}
