import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdmin } from '../../src/adapters/proxy/caddy-admin.js';
import { CaddyProxy } from '../../src/adapters/proxy/caddy-proxy.js';
import { bodyServers } from '../helpers/body-servers.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { requestLoop } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROUNDS = 12;

/**
 * A new version that crashes inside its watch window on one Docker host, through a real Caddy and deckhand's own
 * CaddyProxy: the previous version still runs, the watch window notices within a second and sends traffic back (a
 * config load). Four clients keep requesting throughout. With the previous version listed behind the new one, no
 * request fails; with the new one alone, the requests that waited for it in Caddy's retries are ended with a 502 by
 * the revert's config load.
 */
describe('Caddy during the watch window: the previous version behind the new one', () => {
  let caddy: CaddyProcess;
  let admin: CaddyAdmin;
  const servers = bodyServers();
  beforeAll(async () => {
    caddy = await startCaddy();
    admin = new CaddyAdmin(caddy.adminUrl);
  });
  afterAll(async () => {
    await servers.closeAll();
    await caddy?.stop();
  });

  const { serve, crash } = servers;

  /** Rounds of: the switch to a new version, which crashes; the revert's config load comes 0–400 ms later. */
  async function rounds(app: string, withFallback: boolean): Promise<{ ok: number; failed: string[]; bodies: Map<string, number> }> {
    const proxy = new CaddyProxy(caddy.adminUrl, '127.0.0.1');
    const publicPort = await freePort();
    const previous = await serve('previous');
    await proxy.point(app, publicPort, previous.port);
    const loops = Array.from({ length: 4 }, () => requestLoop(publicPort));
    for (let round = 0; round < ROUNDS; round += 1) {
      const next = await serve('new');
      await proxy.point(app, publicPort, next.port, [], withFallback ? previous.port : undefined);
      await sleep(150);
      crash(next.server);
      await sleep(Math.random() * 400);
      await proxy.point(app, publicPort, previous.port); // the revert: the previous version alone
      await sleep(150);
    }
    const seen = await Promise.all(loops.map((loop) => loop.stop()));
    const failed = seen.flatMap((r) => r.failures);
    const bodies = new Map<string, number>();
    for (const r of seen) for (const [body, n] of r.bodies) bodies.set(body, (bodies.get(body) ?? 0) + n);
    return { ok: seen.reduce((sum, r) => sum + r.total, 0) - failed.length, failed, bodies };
  }

  it('lists the previous version second (first policy, passive health), and drops it again when pointed without one', async () => {
    const app = `fallback-cfg-${process.pid}`;
    const proxy = new CaddyProxy(caddy.adminUrl, '127.0.0.1');
    const publicPort = await freePort();
    const [previous, next] = await Promise.all([serve('previous'), serve('new')]);
    await proxy.point(app, publicPort, next.port, [], previous.port);
    const read = async () => JSON.parse((await admin.call('GET', `/id/deckhand-${app}-proxy`)).body) as Record<string, unknown>;
    expect(await read()).toMatchObject({
      upstreams: [{ dial: `127.0.0.1:${next.port}` }, { dial: `127.0.0.1:${previous.port}` }],
      load_balancing: { selection_policy: { policy: 'first' }, retries: 2 },
      health_checks: { passive: { fail_duration: '5s', max_fails: 1 } },
    });
    expect((await read()).load_balancing).not.toHaveProperty('try_interval'); // a retry never waits (see FALLBACK_SETTINGS)
    // What serves is the first upstream: the new version (what deckhand's "what serves" reads).
    expect(await proxy.upstream(app)).toBe(next.port);
    await proxy.point(app, publicPort, next.port);
    const alone = await read();
    expect(alone.upstreams).toEqual([{ dial: `127.0.0.1:${next.port}` }]);
    expect(alone).not.toHaveProperty('health_checks');
    expect(alone.load_balancing).not.toHaveProperty('selection_policy');
  });

  it('with the previous version behind the new one: 0 failed requests through every crash and revert', async () => {
    const seen = await rounds(`fallback-${process.pid}`, true);
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(ROUNDS * 20);
    expect(seen.bodies.get('new')).toBeGreaterThan(0); // the new version did serve between the switches and crashes
  }, 60_000);

  it('the same rounds with the new version alone do fail with 502s at the revert: what the fallback avoids', async () => {
    const seen = await rounds(`alone-${process.pid}`, false);
    expect(seen.failed).toContain('HTTP 502');
  }, 60_000);
});
