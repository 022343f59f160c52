import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManagedCaddy, onPath } from '../../src/adapters/proxy/managed-caddy.js';
import { ManagedCaddyProxy, type Route } from '../../src/adapters/proxy/managed-caddy-proxy.js';
import { freePort } from '../helpers/ports.js';

const enabled = onPath('caddy') !== undefined;

/**
 * deckhand's own Caddy started again without its autosave puts each app's route back from the database; on a
 * cluster runtime the route names the nodes the current version serves on, not 127.0.0.1. Configuration only: no
 * request is sent to those addresses.
 */
describe.skipIf(!enabled)('routes restored on cluster nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'i-managed-caddy-'));
  const caddy = new ManagedCaddy({ dir });
  afterAll(() => {
    caddy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a started Caddy gets the route with one upstream per node (and the node health checks); a one-host route stays 127.0.0.1', async () => {
    const routes: Route[] = [
      { app: `i-nodes-${process.pid}`, publicPort: await freePort(), upstreamPort: 24011, hosts: ['10.213.0.1', '10.213.0.2'] },
      { app: `i-local-${process.pid}`, publicPort: await freePort(), upstreamPort: 24012 },
    ];
    const proxy = new ManagedCaddyProxy(caddy, async () => routes, '127.0.0.1');
    expect(await proxy.ready()).toBe('started');
    const handler = async (app: string) => JSON.parse((await caddy.admin.call('GET', `/id/deckhand-${app}-proxy`)).body) as { upstreams: unknown; health_checks?: unknown };
    expect(await handler(routes[0]!.app)).toMatchObject({ upstreams: [{ dial: '10.213.0.1:24011' }, { dial: '10.213.0.2:24011' }], health_checks: { passive: { max_fails: 1 } } });
    expect((await handler(routes[1]!.app)).upstreams).toEqual([{ dial: '127.0.0.1:24012' }]);
    expect(await proxy.upstream(routes[0]!.app)).toBe(24011);
  });
});
