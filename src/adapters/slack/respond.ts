import type { RespondArguments, RespondFn } from '@slack/bolt';
import http from 'node:http';
import https from 'node:https';

/** How long a post to a response URL may take (Bolt's own `respond` has no bound). */
export const RESPOND_TIMEOUT_MS = 10_000;

/** The response URL Slack sent with a command, a click or a view submission; undefined when there is none. */
export function responseUrlOf(body: unknown): string | undefined {
  const b = body as { response_url?: unknown; response_urls?: Array<{ response_url?: unknown }> } | undefined;
  const url = b?.response_url ?? b?.response_urls?.[0]?.response_url;
  return typeof url === 'string' ? url : undefined;
}

/**
 * `respond` as Bolt's, over node's HTTP client instead of `fetch`, and bounded: a response URL that does not answer
 * within `timeoutMs` fails the call (Slack's time is never unbounded: DESIGN's trust rules). Throws on a status other
 * than 2xx, as Bolt's does. It also costs the event loop a fraction of a `fetch`, which matters in a burst of
 * commands, where every handler posts one.
 */
export function boundedRespond(url: string, timeoutMs = RESPOND_TIMEOUT_MS): RespondFn {
  return (message: string | RespondArguments) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(typeof message === 'string' ? { text: message } : message);
      const target = new URL(url);
      // Looked up at each call (not bound at import): an HTTP interceptor installed later (msw in tests) still sees it.
      const req = (target.protocol === 'https:' ? https : http).request(target, { method: 'POST', timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        res.resume();
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(new Response(null, { status }));
          else reject(new Error(`Failed to respond to the response_url: ${status} ${res.statusMessage ?? ''}`.trim()));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`the response_url did not answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
}
