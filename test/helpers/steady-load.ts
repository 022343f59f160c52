import { Agent, request } from 'node:http';
import { HANDSHAKE_RESET_NOTE, isHandshakeReset } from './http.js';

export interface LoadResult {
  total: number;
  keepAlive: number;
  /** Requests on a connection the agent had used before (proof the keep-alive half really reused connections). */
  reused: number;
  failures: string[];
  /**
   * Keep-alive requests that met an idle connection the server closed as they were sent, and were sent again once on a
   * new connection, as Node documents for `request.reusedSocket` (RFC 9112 §9.3.1: a client retries an idempotent
   * request then; browsers, curl and Go do it by themselves). Caddy closes its idle client connections when a config
   * change retires the old server; counted here, not hidden.
   */
  retriedIdleClose: number;
  bodies: Map<string, number>;
  /** The one handshake reset a load allows (http.ts requestLoop says why); a second one is a failure. */
  connectResets: string[];
}

/**
 * An open-loop request load on 127.0.0.1:port at `rate` requests a second, every other request on a keep-alive
 * connection (node:http Agent keepAlive), the rest on a fresh connection. A network error or a non-2xx answer is a
 * failure. Bounded: it stops by itself after `maxMs`; `stop()` waits for the requests still in flight.
 */
/** When a failure was seen, to line it up with the proxy's log. */
const at = () => new Date().toISOString().slice(11, 23);

export function steadyLoad(port: number, options: { rate?: number; maxMs?: number } = {}) {
  const rate = options.rate ?? 60;
  const deadline = Date.now() + (options.maxMs ?? 120_000);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const result: LoadResult = { total: 0, keepAlive: 0, reused: 0, failures: [], retriedIdleClose: 0, bodies: new Map(), connectResets: [] };
  const inFlight = new Set<Promise<void>>();
  // Sockets that carried a request before. Node's Agent sets `reusedSocket` only for a socket taken from its free
  // pool: a request that waited in the agent's queue (all sockets busy) and is handed a socket the moment its last
  // response ended is on a reused connection too, without the flag, and meets the same idle close.
  const used = new WeakSet<object>();
  const one = (keepAlive: boolean, retry = true): Promise<void> =>
    new Promise<void>((resolve) => {
      let reused = false;
      const req = request({ host: '127.0.0.1', port, path: '/', agent: keepAlive ? agent : false, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) result.failures.push(`HTTP ${res.statusCode}${keepAlive ? ' (keep-alive)' : ''} at ${at()}`);
          else result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
          resolve();
        });
        res.on('error', (error) => {
          result.failures.push(`${error.message}${keepAlive ? ' (keep-alive)' : ''} at ${at()}`);
          resolve();
        });
      });
      req.on('socket', (socket) => {
        reused = req.reusedSocket || used.has(socket);
        used.add(socket);
        if (reused) result.reused += 1;
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (retry && reused && error.code === 'ECONNRESET') {
          result.retriedIdleClose += 1;
          return void one(false, false).then(resolve);
        }
        if (!reused && result.connectResets.length === 0 && isHandshakeReset(error)) {
          result.connectResets.push(`${error.message} at ${at()}`);
          console.warn(`steadyLoad on port ${port}: a request at ${at()} ${HANDSHAKE_RESET_NOTE}`);
          return resolve();
        }
        result.failures.push(`${error.message}${keepAlive ? ' (keep-alive)' : ''} at ${at()}`);
        resolve();
      });
      req.end();
    });
  const startedAt = Date.now();
  // Catches up after a late tick, so the rate holds on a busy machine.
  const timer = setInterval(() => {
    if (Date.now() > deadline) return void clearInterval(timer);
    while (result.total < ((Date.now() - startedAt) / 1000) * rate) {
      const keepAlive = result.total % 2 === 1;
      result.total += 1;
      if (keepAlive) result.keepAlive += 1;
      const pending = one(keepAlive).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
  }, 5);
  return {
    /** Requests a second actually sent so far. */
    rate: () => result.total / Math.max(0.001, (Date.now() - startedAt) / 1000),
    stop: async (): Promise<LoadResult> => {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      agent.destroy();
      return result;
    },
  };
}
