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

export interface LoopResult {
  total: number;
  failures: string[];
  bodies: Map<string, number>;
}

/**
 * Hits 127.0.0.1:port in a loop until stopped, counting failures (network errors or non-2xx). Bounded: it also
 * stops by itself after `maxRequests` or `maxMs`.
 */
export function requestLoop(port: number, options: { maxRequests?: number; maxMs?: number } = {}) {
  const maxRequests = options.maxRequests ?? 20_000;
  const deadline = Date.now() + (options.maxMs ?? 120_000);
  const result: LoopResult = { total: 0, failures: [], bodies: new Map() };
  let stopped = false;
  const done = (async () => {
    while (!stopped && result.total < maxRequests && Date.now() < deadline) {
      result.total += 1;
      try {
        const { status, body } = await get(port);
        if (status < 200 || status >= 300) result.failures.push(`HTTP ${status}`);
        else result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
      } catch (error) {
        result.failures.push((error as Error).message);
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
