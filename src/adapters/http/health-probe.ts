import { request } from 'node:http';
import { connect } from 'node:net';
import type { HealthProbe } from '../../domain/ports.js';

/**
 * One GET on a fresh connection, no redirects followed; 2xx is healthy. Each attempt has a hard deadline of its
 * own, so a container that accepts the connection and never answers cannot hang a deploy.
 */
export class HttpHealthProbe implements HealthProbe {
  constructor(private readonly attemptTimeoutMs = 2000) {}

  probe(url: string): Promise<{ ok: boolean; detail: string }> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: { ok: boolean; detail: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        req.destroy();
        resolve(result);
      };
      const req = request(url, { method: 'GET', agent: false, headers: { 'user-agent': 'deckhand-health' } }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        done({ ok: status >= 200 && status < 300, detail: `HTTP ${status}` });
      });
      const deadline = setTimeout(() => done({ ok: false, detail: `no answer within ${this.attemptTimeoutMs} ms` }), this.attemptTimeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, detail: error.code ?? error.message }));
      req.end();
    });
  }

  refuses(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      const done = (refused: boolean) => {
        clearTimeout(deadline);
        socket.destroy();
        resolve(refused);
      };
      const deadline = setTimeout(() => done(false), this.attemptTimeoutMs);
      socket.once('connect', () => done(false));
      socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
    });
  }
}
