import { request } from 'node:http';
import { DeckhandError } from '../../domain/errors.js';

export interface AdminResponse {
  status: number;
  body: string;
}

/** How long one admin call may wait for Caddy's answer. */
export const ADMIN_TIMEOUT_MS = 10_000;

class AdminTimeout extends Error {
  constructor() {
    super('timed out');
  }
}

/**
 * A client for Caddy's admin API. Caddy restarts its admin endpoint on every config change, so a pooled keep-alive
 * connection is dead after each switch: every call uses a fresh connection, and a call that met a closed socket is
 * retried once (all deckhand's admin calls are idempotent). A call that timed out is not retried.
 */
export class CaddyAdmin {
  private readonly socketPath: string | undefined;

  /** `baseUrl` is an http URL, or `unix//<path>` for an admin API on a Unix socket (Caddy's own notation). */
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = ADMIN_TIMEOUT_MS,
  ) {
    this.socketPath = baseUrl.startsWith('unix/') ? baseUrl.slice('unix/'.length) : undefined;
  }

  async call(method: 'GET' | 'PUT' | 'PATCH' | 'POST', path: string, body?: unknown): Promise<AdminResponse> {
    try {
      return await this.once(method, path, body);
    } catch (first) {
      // A Caddy that let the whole timeout pass is hung, not restarting its endpoint: asking again doubles the wait.
      if (first instanceof AdminTimeout) throw new DeckhandError('traffic_switch_failed', `Caddy's admin API at ${this.baseUrl} did not answer within ${this.timeoutMs / 1000}s`, {}, { cause: first });
      try {
        return await this.once(method, path, body);
      } catch (error) {
        throw new DeckhandError('traffic_switch_failed', `Caddy's admin API at ${this.baseUrl} is unreachable: ${(error as Error).message}`, {}, { cause: error });
      }
    }
  }

  private once(method: string, path: string, body?: unknown): Promise<AdminResponse> {
    const url = new URL(path, this.socketPath ? 'http://localhost' : this.baseUrl);
    // Over a Unix socket Caddy accepts only an empty Host header (there is no host name for the service).
    const host = this.socketPath ? { host: '' } : {};
    const setHost = !this.socketPath;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method, agent: false, setHost, ...(this.socketPath ? { socketPath: this.socketPath } : {}), timeout: this.timeoutMs, headers: { ...host, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new AdminTimeout()));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
