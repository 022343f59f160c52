import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP stand-in for the Slack Web API and response URLs, for a bot running in ANOTHER process (msw only
 * intercepts in-process). Answers every API method `{ ok: true }` (auth.test with a bot identity), records each Web
 * API call (`api`: its method and body) and what is posted to /hooks/* (`posts`; and tells `onHook`).
 */
export async function startSlackStandIn(options: { onHook?: (path: string) => void } = {}): Promise<{ apiUrl: string; hooksUrl: string; posts: Array<{ path: string; body: string }>; api: Array<{ method: string; body: string }>; stop(): Promise<void> }> {
  const posts: Array<{ path: string; body: string }> = [];
  const api: Array<{ method: string; body: string }> = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const path = request.url ?? '/';
      if (path.startsWith('/api/')) api.push({ method: path.slice('/api/'.length).split('?')[0]!, body });
      if (path.startsWith('/hooks/')) {
        posts.push({ path, body });
        options.onHook?.(path);
      }
      const answer = path.startsWith('/api/auth.test') ? { ok: true, url: 'https://test.slack.com/', team: 'test', user: 'deckhand', team_id: 'T1', user_id: 'UBOT', bot_id: 'BBOT' } : { ok: true, ts: '1700000000.000100', channel: 'C1' };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}/api/`,
    hooksUrl: `${base}/hooks`,
    posts,
    api,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
