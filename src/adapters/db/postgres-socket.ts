import { Socket, connect } from 'node:net';

/** What postgres.js passes to a custom `socket` factory. */
export interface SocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * A postgres.js socket factory that bounds what the driver does not: a connection that sent something (a query)
 * and has heard nothing back for `silenceMs` is destroyed, so the query fails with CONNECTION_CLOSED instead of
 * hanging while a frozen or vanished server keeps the socket open. Idle connections (nothing awaiting an answer)
 * are left alone. Connecting is bounded by postgres.js's own connect_timeout, which covers the TCP connect too.
 *
 * The socket is returned before it connects (writes wait for the connection): a factory that rejected would leave
 * postgres.js's connection stuck in its "connecting" queue, and ten such failures would starve the pool for good.
 * The watch sees the plain socket's writes and reads: over TLS (postgres.js re-wraps the socket) it sees nothing
 * and the bound falls back to TCP keepalive; a server that stops in the middle of an answer is not caught either.
 */
export function boundedSocketFactory(silenceMs: number): (options: SocketOptions) => Socket {
  let next = 0;
  return (options) => {
    const index = next++ % Math.max(1, options.host.length);
    const socket = options.path ? connect(options.path) : connect(options.port[index] ?? options.port[0] ?? 5432, options.host[index] ?? options.host[0]);
    watchSilence(socket, silenceMs);
    return socket;
  };
}

function watchSilence(socket: Socket, silenceMs: number): void {
  let unansweredSince: number | undefined;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    unansweredSince ??= Date.now();
    return write(...args);
  }) as Socket['write'];
  const heard = () => {
    unansweredSince = undefined;
  };
  socket.on('data', heard);
  const check = setInterval(() => {
    // Gone, or re-wrapped for TLS (postgres.js removed every listener): nothing left to watch.
    if (socket.destroyed || !socket.listeners('data').includes(heard)) clearInterval(check);
    else if (unansweredSince !== undefined && Date.now() - unansweredSince > silenceMs) {
      clearInterval(check);
      socket.destroy();
    }
  }, Math.min(1000, Math.max(50, silenceMs / 5)));
  check.unref();
}
