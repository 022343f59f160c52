import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdmin } from '../../src/adapters/proxy/caddy-admin.js';
import { CLUSTER_HEALTH_CHECKS, ZERO_DOWNTIME_LOAD_BALANCING, clusterLoadBalancing } from '../../src/adapters/proxy/caddy-proxy.js';
import { bodyServers } from '../helpers/body-servers.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { requestLoop } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROUNDS = 15;

/**
 * What a Swarm revert does to Caddy, on 127.0.0.1: a version answers on three "nodes" (three ports here, a node each
 * on a cluster); one of them dies (Swarm killed its unhealthy task), and the revert loads the next config 0–100 ms
 * later, while four clients keep requesting. Caddy 2.6 answers 502 to a retry that was waiting for its interval when
 * a config loads; the cluster handler retries on another node at once, so no request fails.
 */
describe('Caddy retries across nodes while a node dies and the config changes', () => {
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

  const { serve, crash: kill } = servers;

  /** Rounds of: three nodes serve, one dies, the config changes 0–100 ms later. Returns the failed requests. */
  async function rounds(name: string, loadBalancing: (upstreams: number) => object): Promise<{ ok: number; failed: string[] }> {
    const publicPort = await freePort();
    const handler = (ports: number[]) => ({
      '@id': `${name}-proxy`,
      handler: 'reverse_proxy',
      upstreams: ports.map((port) => ({ dial: `127.0.0.1:${port}` })),
      load_balancing: loadBalancing(ports.length),
      health_checks: CLUSTER_HEALTH_CHECKS,
    });
    const first = await Promise.all([serve('a'), serve('a'), serve('a')]);
    const config = { listen: [`127.0.0.1:${publicPort}`], automatic_https: { disable: true }, routes: [{ handle: [handler(first.map((n) => n.port))] }] };
    const put = await admin.call('PUT', `/config/apps/http/servers/${name}`, config);
    if (put.status !== 200) {
      const created = await admin.call('PUT', '/config/apps', { http: { servers: { [name]: config } } });
      expect(created.status, created.body).toBe(200);
    }
    // Four clients, each a request at a time on a fresh connection.
    const loops = Array.from({ length: 4 }, () => requestLoop(publicPort));
    let serving = first;
    let retired: Array<{ port: number; server: Server }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const next = await Promise.all([serve('b'), serve('b'), serve('b')]);
      expect((await admin.call('PATCH', `/id/${name}-proxy`, handler(next.map((n) => n.port)))).status).toBe(200);
      await sleep(150);
      for (const node of [...retired, ...serving]) kill(node.server);
      await sleep(150);
      // One node of the new version dies; the revert's config change lands 0–100 ms after.
      kill(next[0]!.server);
      await sleep(Math.random() * 100);
      const back = await Promise.all([serve('a'), serve('a'), serve('a')]);
      expect((await admin.call('PATCH', `/id/${name}-proxy`, handler(back.map((n) => n.port)))).status).toBe(200);
      await sleep(150);
      retired = next;
      serving = back;
    }
    const seen = await Promise.all(loops.map((loop) => loop.stop()));
    const failed = seen.flatMap((r) => r.failures);
    return { ok: seen.reduce((sum, r) => sum + r.total, 0) - failed.length, failed };
  }

  it('the cluster handler (retries at once, no interval): 0 failed requests', async () => {
    const seen = await rounds(`retries-${process.pid}`, clusterLoadBalancing);
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(ROUNDS * 20);
  }, 60_000);

  it('the same rounds with the one-host handler (a retry waits 50 ms) do fail: what the cluster handler avoids', async () => {
    const seen = await rounds(`waits-${process.pid}`, () => ZERO_DOWNTIME_LOAD_BALANCING);
    expect(seen.failed.length).toBeGreaterThan(0);
    expect(seen.failed).toContain('HTTP 502');
  }, 60_000);
});
