import { request } from 'node:http';

/** GET on 127.0.0.1 with a fresh connection; resolves status and body, or rejects on a network error. */
export function get(port: number, path = '/', timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A connection reset during its handshake (`connect ECONNRESET`): the kernel's race when Caddy closes a listener it
 * replaced on a config load (see requestLoop). The request loops allow one per loop and print it.
 */
export function isHandshakeReset(error: unknown): boolean {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return code === 'ECONNRESET' && syscall === 'connect';
}

export const HANDSHAKE_RESET_NOTE = "was reset during its handshake, the kernel's race at a Caddy config load (README: Host setting); allowed once per loop";

export interface LoopResult {
  total: number;
  failures: string[];
  bodies: Map<string, number>;
  /** The one connection reset during its handshake that a loop allows (see requestLoop); a second one is a failure. */
  connectResets: string[];
}

/**
 * Hits 127.0.0.1:port in a loop until stopped, counting failures (network errors or non-2xx). Bounded: it also
 * stops by itself after `maxRequests` or `maxMs`.
 *
 * One failure is set apart: a connection reset during its handshake (`connect ECONNRESET`). Caddy 2.6 binds a new
 * listener for every public port on each config load (any app's switch) and closes the old one; with
 * `net.ipv4.tcp_migrate_req=1` the kernel moves the connections queued there to the new socket, but a handshake that
 * completes on another CPU at the very instant of the close is reset (README: "Host setting for zero failed
 * requests", measured by `npm run bench -- --only=reloads`). Nothing deckhand does can reach that race, and a test
 * that fails on it tests the kernel. So the first such reset is recorded in `connectResets` (and printed); a second
 * one in the same loop counts as a failure, as does every other error: a refused connection, a reset after the
 * handshake, a 502 or a timeout.
 */
export function requestLoop(port: number, options: { maxRequests?: number; maxMs?: number } = {}) {
  const maxRequests = options.maxRequests ?? 20_000;
  const deadline = Date.now() + (options.maxMs ?? 120_000);
  const result: LoopResult = { total: 0, failures: [], bodies: new Map(), connectResets: [] };
  let stopped = false;
  const done = (async () => {
    while (!stopped && result.total < maxRequests && Date.now() < deadline) {
      result.total += 1;
      try {
        const { status, body } = await get(port);
        if (status < 200 || status >= 300) result.failures.push(`HTTP ${status}`);
        else result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
      } catch (error) {
        const { message } = error as Error;
        if (result.connectResets.length === 0 && isHandshakeReset(error)) {
          result.connectResets.push(`${message} (request ${result.total})`);
          console.warn(`requestLoop on port ${port}: request ${result.total} ${HANDSHAKE_RESET_NOTE}`);
        } else result.failures.push(message);
      }
    }
    return result;
  })();
  return {
    stop: async () => {
      stopped = true;
      return done;
    },
  };
}

/** The first answer on `port` within `limitMs` (a refused or failed connection meanwhile is tried again every 50 ms). */
export async function answered(port: number, limitMs = 10_000): Promise<{ status: number; body: string }> {
  for (const deadline = Date.now() + limitMs; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    try {
      return await get(port, '/');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}
