/**
 * Caddy config reloads under a request load: how many connections the kernel resets. Caddy 2.6 binds a new listener
 * for every server on each config load and closes the old one, so one app's switch re-binds every app's public port.
 * With `net.ipv4.tcp_migrate_req=1` the connections queued on the old socket move to the new one; a handshake that
 * completes on another CPU at the instant of the close is still reset (`connect ECONNRESET`). This figure switches
 * one app back and forth through deckhand's own client (CaddyProxy.point, one PATCH each) while fresh-connection
 * loops run on that app's port and on a second app's port, and counts what failed. Real Caddy, real HTTP upstreams.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { onPath } from '../../src/adapters/proxy/managed-caddy.js';
import { CaddyProxy, MIGRATE_REQ_SYSCTL } from '../../src/adapters/proxy/caddy-proxy.js';
import { bodyServers } from '../../test/helpers/body-servers.js';
import { startCaddy } from '../../test/helpers/caddy.js';
import { get, isHandshakeReset } from '../../test/helpers/http.js';
import { freePort } from '../../test/helpers/ports.js';
import type { Row } from '../report.js';
import type { Figure } from '../support/context.js';

const CONCURRENCY = 4;

export const caddyReloads: Figure = {
  title: 'Caddy config reloads under load: connections reset',
  async run(ctx) {
    if (!onPath('caddy')) return [{ figure: 'Caddy config reloads under load', goal: '0 failed requests', notMeasured: 'caddy is not installed' }];
    const caddy = await startCaddy();
    ctx.defer(() => caddy.stop());
    const servers = bodyServers();
    ctx.defer(() => servers.closeAll());
    const upstreams = [await servers.serve('upstream 1'), await servers.serve('upstream 2')];
    const proxy = new CaddyProxy(caddy.adminUrl, '127.0.0.1');
    const [switched, other] = [await freePort(), await freePort()];
    await proxy.point(ctx.name('switched'), switched, upstreams[0]!.port);
    await proxy.point(ctx.name('other'), other, upstreams[1]!.port);
    let running = true;
    const loops = [switched, other].map((port) => Array.from({ length: CONCURRENCY }, () => freshLoop(port, () => running)));
    const loads: number[] = [];
    for (let i = 1; i <= ctx.samples(2000, 500); i += 1) {
      const t = performance.now();
      await proxy.point(ctx.name('switched'), switched, upstreams[i % 2]!.port);
      loads.push(performance.now() - t);
    }
    running = false;
    const [onSwitched, onOther] = (await Promise.all(loops.map((group) => Promise.all(group).then(sum)))) as [Counts, Counts];
    const migrate = readFileSync(MIGRATE_REQ_SYSCTL, 'utf8').trim();
    const said = (c: Counts) => `${c.resets} reset in the handshake, ${c.other} failed otherwise, of ${c.total}`;
    return [{
      figure: 'a Caddy config load (one switch) under load',
      samples: loads,
      goal: '0 failed requests',
      note: `${loads.length} loads, tcp_migrate_req=${migrate}, ${CONCURRENCY} fresh-connection loops per port: switched app ${said(onSwitched)}; another app ${said(onOther)}`,
    } satisfies Row];
  },
};

interface Counts {
  total: number;
  resets: number;
  other: number;
}

const sum = (counts: Counts[]): Counts => counts.reduce((a, b) => ({ total: a.total + b.total, resets: a.resets + b.resets, other: a.other + b.other }));

async function freshLoop(port: number, running: () => boolean): Promise<Counts> {
  const counts: Counts = { total: 0, resets: 0, other: 0 };
  while (running()) {
    counts.total += 1;
    const outcome = await get(port).then(
      ({ status }) => (status === 200 ? 'ok' : 'other'),
      (error: unknown) => (isHandshakeReset(error) ? 'reset' : 'other'),
    );
    if (outcome === 'reset') counts.resets += 1;
    if (outcome === 'other') counts.other += 1;
  }
  return counts;
}
