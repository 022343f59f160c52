import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedRespond, responseUrlOf } from '../../src/adapters/slack/respond.js';

/** A real HTTP server standing in for a response URL: /ok answers 200, /refused 404, /silent never answers. */
describe("posting to a response URL (the handlers' respond)", () => {
  let server: Server;
  let base: string;
  const received: Array<{ path: string; type: string | undefined; body: unknown }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(body) });
        if (req.url === '/silent') return;
        res.writeHead(req.url === '/ok' ? 200 : 404);
        res.end(req.url === '/ok' ? 'ok' : 'no_text');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts the message as JSON (a string becomes { text }) and resolves with an ok response', async () => {
    const answer = await boundedRespond(`${base}/ok`)({ response_type: 'ephemeral', text: 'Deploys of *web*' });
    expect(answer.ok).toBe(true);
    await boundedRespond(`${base}/ok`)('plain words');
    expect(received.slice(-2)).toEqual([
      { path: '/ok', type: 'application/json', body: { response_type: 'ephemeral', text: 'Deploys of *web*' } },
      { path: '/ok', type: 'application/json', body: { text: 'plain words' } },
    ]);
  });

  it('fails on a refusal with its status, and on a URL that does not answer within the bound', async () => {
    await expect(boundedRespond(`${base}/refused`)('x')).rejects.toThrow('Failed to respond to the response_url: 404 Not Found');
    await expect(boundedRespond(`${base}/silent`, 300)('x')).rejects.toThrow('the response_url did not answer within 300 ms');
  });

  it("finds the URL Slack sent with a command, a click or a view submission", () => {
    expect(responseUrlOf({ response_url: 'https://hooks.slack.com/commands/1' })).toBe('https://hooks.slack.com/commands/1');
    expect(responseUrlOf({ response_urls: [{ response_url: 'https://hooks.slack.com/app/2' }] })).toBe('https://hooks.slack.com/app/2');
    expect(responseUrlOf({})).toBeUndefined();
    expect(responseUrlOf(undefined)).toBeUndefined();
  });
});
