import { readFile } from 'node:fs/promises';
import { DeckhandError } from '../../domain/errors.js';
import type { ResponseCounts, TrafficSwitch } from '../../domain/ports.js';
import { CaddyAdmin } from './caddy-admin.js';
import { responseCountsFor } from './caddy-metrics.js';

/**
 * Traffic switch through Caddy's admin API. Each app's public port is a Caddy server `deckhand-<app>` with one
 * reverse_proxy route; a deploy swaps that route's upstream. Caddy applies a config change gracefully: in-flight
 * requests finish on the old config. On Linux it reopens listeners with SO_REUSEPORT, and connections the kernel
 * queued on the old socket are reset when it closes unless `net.ipv4.tcp_migrate_req=1` (see README); the
 * proxy reports that setting through `warnings()`.
 */
export class CaddyProxy implements TrafficSwitch {
  readonly mode = 'proxy' as const;

  private readonly admin: CaddyAdmin;

  constructor(
    adminUrl: string,
    /** Interface the public ports listen on; empty means all interfaces. */
    private readonly publicHost = '',
  ) {
    this.admin = new CaddyAdmin(adminUrl);
  }

  private handlerId = (app: string) => `deckhand-${app}-proxy`;

  async warnings(): Promise<string[]> {
    return checkReusePortMigration();
  }

  async point(app: string, publicPort: number, upstreamPort: number): Promise<void> {
    const upstreams = [{ dial: `127.0.0.1:${upstreamPort}` }];
    const swapped = await this.admin.call('PATCH', `/id/${this.handlerId(app)}/upstreams`, upstreams);
    if (swapped.status === 200) return;
    if (swapped.status !== 404) throw new DeckhandError('traffic_switch_failed', `Caddy refused the switch: HTTP ${swapped.status} ${swapped.body.trim()}`);
    await this.ensureServer(app, publicPort, upstreams);
  }

  /** The upstream port traffic goes to now; null when the app has no route. Throws when Caddy cannot be asked. */
  async upstream(app: string): Promise<number | null> {
    const response = await this.admin.call('GET', `/id/${this.handlerId(app)}/upstreams`);
    if (response.status === 404) return null;
    if (response.status !== 200) throw new DeckhandError('traffic_switch_failed', `Caddy did not say where ${app} goes: HTTP ${response.status}`);
    const body = JSON.parse(response.body) as Array<{ dial: string }> | null;
    const dial = body?.[0]?.dial;
    return dial ? Number(dial.split(':').pop()) : null;
  }

  /** The app server's responses and 5xx so far, from Caddy's own metrics (the watch window's 5xx rule). */
  async responses(app: string): Promise<ResponseCounts> {
    const response = await this.admin.call('GET', '/metrics');
    if (response.status !== 200) throw new DeckhandError('traffic_switch_failed', `Caddy did not give its metrics: HTTP ${response.status}`);
    return responseCountsFor(response.body, `deckhand-${app}`);
  }

  private async ensureServer(app: string, publicPort: number, upstreams: Array<{ dial: string }>): Promise<void> {
    const server = {
      listen: [`${this.publicHost}:${publicPort}`],
      automatic_https: { disable: true },
      // Per-server request metrics at the admin endpoint's /metrics: the watch window reads the 5xx ratio there.
      metrics: {},
      routes: [
        {
          handle: [
            {
              '@id': this.handlerId(app),
              handler: 'reverse_proxy',
              upstreams,
              // A request that cannot reach the upstream is retried briefly instead of failing.
              load_balancing: { try_duration: '5s', try_interval: '100ms' },
            },
          ],
        },
      ],
    };
    // Create only the missing part of apps.http.servers, so the operator's other Caddy config is left alone.
    const path = ['apps', 'http', 'servers', `deckhand-${app}`];
    let value: unknown = server;
    for (let depth = path.length - 1; depth >= 1; depth -= 1) {
      if (await this.exists(`/config/${path.slice(0, depth).join('/')}`)) {
        await this.expectOk('PUT', `/config/${path.slice(0, depth + 1).join('/')}`, value);
        return;
      }
      value = { [path[depth]!]: value };
    }
    // No `apps` yet: add it beside the operator's root config, or load a first config when Caddy has none.
    if (await this.exists('/config/')) await this.expectOk('PUT', '/config/apps', value);
    else await this.expectOk('POST', '/config/', { apps: value });
  }

  private async exists(path: string): Promise<boolean> {
    const response = await this.admin.call('GET', path);
    return response.status === 200 && response.body.trim() !== 'null' && response.body.trim() !== '';
  }

  private async expectOk(method: 'PUT' | 'PATCH' | 'POST', path: string, body: unknown): Promise<void> {
    const response = await this.admin.call(method, path, body);
    if (response.status < 200 || response.status >= 300) {
      throw new DeckhandError('traffic_switch_failed', `Caddy refused ${method} ${path}: HTTP ${response.status} ${response.body.trim()}`);
    }
  }
}

/** No proxy: the new container takes the public port itself after the old one stops (a short gap). */
export class RecreateTraffic implements TrafficSwitch {
  readonly mode = 'recreate' as const;

  async point(): Promise<void> {
    // Nothing to move: in recreate mode the container listens on the public port.
  }
}

export const MIGRATE_REQ_SYSCTL = '/proc/sys/net/ipv4/tcp_migrate_req';

/** Linux only: without tcp_migrate_req, a Caddy config change can reset a few connections queued on the old socket. */
export async function checkReusePortMigration(path = MIGRATE_REQ_SYSCTL): Promise<string[]> {
  const value = await readFile(path, 'utf8').then((text) => text.trim(), () => undefined);
  if (value === undefined || value === '1') return [];
  return ['net.ipv4.tcp_migrate_req is 0 on this host: Caddy may reset a few connections while traffic moves. Run `sysctl -w net.ipv4.tcp_migrate_req=1` (see README).'];
}
