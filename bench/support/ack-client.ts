/**
 * The client of the ack figures: signed form posts over node:http with kept-alive connections, each request's body
 * and signature made before its round starts. The figures time the server's answer, so the client's own work per
 * request must be small: with `fetch` (undici) on 2 cores, 50 requests of one round left the client 10–60 ms apart,
 * most of every figure and of its floor alike.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface SignedPost {
  body: string;
  headers: Record<string, string>;
}

export interface AckClient {
  /** POSTs `post` to `<baseUrl>/slack/events`: the status, the answer's text and the milliseconds it took. */
  post(post: SignedPost): Promise<{ status: number; text: string; ms: number }>;
  /** Closes the kept-alive connections. */
  close(): void;
}

export function ackClient(baseUrl: string): AckClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL('/slack/events', baseUrl);
  return {
    post: (post) =>
      new Promise((resolve, reject) => {
        const payload = Buffer.from(post.body);
        const t = performance.now();
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': payload.length, ...post.headers } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), ms: performance.now() - t }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
