import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpHealthProbe } from '../../src/adapters/http/health-probe.js';
import { freePort } from '../helpers/ports.js';

describe('HTTP health probe against a real server on 127.0.0.1', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = createServer((req, res) => {
      if (req.url === '/ok') return res.writeHead(204).end();
      if (req.url === '/redirect') return res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/hang') return; // accepts, never answers
      res.writeHead(503).end('starting');
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('2xx is healthy; anything else, a redirect included, is not', async () => {
    const probe = new HttpHealthProbe();
    expect(await probe.probe(`http://127.0.0.1:${port}/ok`)).toEqual({ ok: true, detail: 'HTTP 204' });
    expect(await probe.probe(`http://127.0.0.1:${port}/redirect`)).toEqual({ ok: false, detail: 'HTTP 302' });
    expect(await probe.probe(`http://127.0.0.1:${port}/other`)).toEqual({ ok: false, detail: 'HTTP 503' });
  });

  it('a refused connection and a server that never answers both end the attempt', async () => {
    const probe = new HttpHealthProbe(300);
    expect(await probe.probe(`http://127.0.0.1:${await freePort()}/`)).toEqual({ ok: false, detail: 'ECONNREFUSED' });
    expect(await probe.probe(`http://127.0.0.1:${port}/hang`)).toEqual({ ok: false, detail: 'no answer within 300 ms' });
  });
});
