import { request as httpRequestRaw } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { rootCertificates } from 'node:tls';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most 64 KiB of the body (registry answers here are small JSON). */
  body: string;
}

export interface HttpRequestInit {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  /** Extra CA certificates (PEM) to trust for HTTPS, on top of the system's. */
  ca?: string;
  timeoutMs: number;
}

const BODY_LIMIT = 64 * 1024;

/**
 * One HTTP(S) request with node:http (not fetch, so that a private CA can be trusted per request), bounded in time.
 * Redirects are not followed: a registry answer that moves is reported by its status.
 */
export function httpRequest(url: string, init: HttpRequestInit): Promise<HttpResponse> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  const tls = target.protocol === 'https:' && init.ca ? { ca: [...rootCertificates, init.ca] } : {};
  return new Promise((resolve, reject) => {
    const req = send(target, { method: init.method, headers: init.headers, timeout: init.timeoutMs, ...tls }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < BODY_LIMIT) body += chunk.slice(0, BODY_LIMIT - body.length);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${target.host} within ${Math.round(init.timeoutMs / 1000)}s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
