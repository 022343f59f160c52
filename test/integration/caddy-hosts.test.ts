import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdmin } from '../../src/adapters/proxy/caddy-admin.js';
import { CaddyProxy } from '../../src/adapters/proxy/caddy-proxy.js';
import { hostsOf } from '../../src/domain/deploy/endpoints.js';
import { bodyServers } from '../helpers/body-servers.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { get } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

/** A cluster runtime's version answers on several nodes: the proxy route gets one upstream per node. */
describe('proxy upstreams on several hosts', () => {
  let caddy: CaddyProcess;
  const servers = bodyServers();
  beforeAll(async () => {
    caddy = await startCaddy();
  });
  afterAll(async () => {
    await servers.closeAll();
    await caddy?.stop();
  });

  it('one host per node, the port shared; one Docker host keeps 127.0.0.1; the upstream port reads back either way', async () => {
    const proxy = new CaddyProxy(caddy.adminUrl, '127.0.0.1');
    // Read as deckhand reads it (a fresh connection per call): Caddy restarts its admin endpoint on every config
    // change, so fetch's pooled keep-alive connection can meet a closed socket right after a point().
    const admin = new CaddyAdmin(caddy.adminUrl);
    const read = async (path: string) => JSON.parse((await admin.call('GET', path)).body);
    const app = `hosts-${process.pid}`;
    const publicPort = await freePort();
    const server = await servers.serve('local');
    await proxy.point(app, publicPort, server.port, hostsOf([{ host: '127.0.0.1', port: server.port }]));
    expect((await get(publicPort)).body).toBe('local');

    // Configuration only: no request is sent while the route names other hosts.
    await proxy.point(app, publicPort, 24001, ['10.213.0.1', '10.213.0.2', 'fd00::3']);
    const upstreams = await read(`/id/deckhand-${app}-proxy/upstreams`);
    expect(upstreams).toEqual([{ dial: '10.213.0.1:24001' }, { dial: '10.213.0.2:24001' }, { dial: '[fd00::3]:24001' }]);
    expect(await proxy.upstream(app)).toBe(24001);
    // Nodes get passive health checks (a node that went away is left out after one failed request) and retries on
    // another node at once, never after a wait (caddy-cluster-retries.test.ts); one host does not.
    const handler = async () => (await read(`/id/deckhand-${app}-proxy`)) as { health_checks?: unknown; load_balancing?: Record<string, unknown> };
    expect(await handler()).toMatchObject({ health_checks: { passive: { fail_duration: '10s', max_fails: 1 } }, load_balancing: { retries: 3, retry_match: [{ method: ['GET', 'HEAD', 'OPTIONS'] }] } });
    expect((await handler()).load_balancing).not.toHaveProperty('try_interval');
    const other = `hosts2-${process.pid}`;
    await proxy.point(other, await freePort(), 24002, ['10.213.0.1', '10.213.0.2']);
    expect(await read(`/id/deckhand-${other}-proxy`)).toMatchObject({ upstreams: [{ dial: '10.213.0.1:24002' }, { dial: '10.213.0.2:24002' }], health_checks: { passive: { max_fails: 1 } }, load_balancing: { retries: 2 } });

    // Back from the nodes to one Docker host (a runtime change): the handler gets one host's settings back whole, so a
    // request that meets the new container still binding waits for it instead of failing at once.
    await proxy.point(app, publicPort, server.port);
    expect((await get(publicPort)).body).toBe('local');
    expect(await handler()).not.toHaveProperty('health_checks');
    expect((await handler()).load_balancing).toMatchObject({ try_duration: '5s', try_interval: '50ms' });
    servers.crash(server.server);
    const binding = await freePort();
    await proxy.point(app, publicPort, binding);
    const answer = get(publicPort);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await servers.serve('bound late', binding);
    expect(await answer).toEqual({ status: 200, body: 'bound late' });
    const single = `hosts3-${process.pid}`;
    await proxy.point(single, await freePort(), 24003);
    expect(await read(`/id/deckhand-${single}-proxy`)).not.toHaveProperty('health_checks');
    expect(await read(`/id/deckhand-${single}-proxy`)).toMatchObject({ load_balancing: { try_duration: '5s', try_interval: '50ms' } });
  });

  it('hostsOf: several nodes are named, one Docker host is left to the default', () => {
    expect(hostsOf(undefined)).toEqual([]);
    expect(hostsOf([{ host: '127.0.0.1', port: 1 }])).toEqual([]);
    expect(hostsOf([{ host: '10.0.0.1', port: 1 }, { host: '10.0.0.2', port: 1 }, { host: '10.0.0.1', port: 1 }])).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
