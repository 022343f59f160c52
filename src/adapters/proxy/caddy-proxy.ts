import { readFile } from 'node:fs/promises';
import { DeckhandError } from '../../domain/errors.js';
import type { ResponseCounts, TrafficSwitch } from '../../domain/ports.js';
import { CaddyAdmin } from './caddy-admin.js';
import { responseCountsFor } from './caddy-metrics.js';
import { openConnectionsTo } from './open-connections.js';

/**
 * Traffic switch through Caddy's admin API. Each app's public port is a Caddy server `deckhand-<app>` with one
 * reverse_proxy route; a deploy swaps that route's upstream. Caddy applies a config change gracefully: in-flight
 * requests finish on the old config. On Linux it reopens every server's listener with SO_REUSEPORT on each load, and
 * connections the kernel queued on an old socket are reset when it closes unless `net.ipv4.tcp_migrate_req=1` (see
 * README); the proxy reports that setting through `warnings()`. Even with it, a handshake completing on another CPU
 * at the instant of the close is reset: rare (bench `--only=reloads`), and out of deckhand's reach.
 */
export class CaddyProxy implements TrafficSwitch {
  readonly mode = 'proxy' as const;

  private readonly admin: CaddyAdmin;

  constructor(
    /** An http URL, `unix//<socket>`, or a ready client (deckhand's own Caddy). */
    admin: string | CaddyAdmin,
    /** Interface the public ports listen on; empty means all interfaces. */
    private readonly publicHost = '',
  ) {
    this.admin = typeof admin === 'string' ? new CaddyAdmin(admin) : admin;
  }

  private handlerId = (app: string) => `deckhand-${app}-proxy`;

  async warnings(): Promise<string[]> {
    return checkReusePortMigration();
  }

  /**
   * Swaps the whole handler in ONE config load: its upstreams with the settings that fit them. One Docker host gets
   * ZERO_DOWNTIME_LOAD_BALANCING, and with a `fallbackPort` (the previous version through the watch window) also
   * FALLBACK_SETTINGS. Upstreams on cluster nodes get passive health checks (CLUSTER_HEALTH_CHECKS) and retries without
   * a wait (clusterLoadBalancing), so a node that goes away is left out after its first failed request, and that
   * request is tried again on another node at once. The handler is deckhand's own (ensureServer made it), so an app
   * that moves between a cluster and one host, or leaves its watch window, never keeps the other's settings.
   */
  async point(app: string, publicPort: number, upstreamPort: number, hosts: string[] = [], fallbackPort?: number): Promise<void> {
    const dial = (host: string, port: number) => ({ dial: `${host.includes(':') ? `[${host}]` : host}:${port}` });
    const cluster = hosts.length > 0;
    const upstreams = cluster ? hosts.map((host) => dial(host, upstreamPort)) : [dial('127.0.0.1', upstreamPort)];
    const fallback = !cluster && fallbackPort !== undefined && fallbackPort !== upstreamPort;
    if (fallback) upstreams.push(dial('127.0.0.1', fallbackPort));
    const handler = this.handler(app, upstreams, cluster ? 'cluster' : fallback ? 'fallback' : 'one');
    const swapped = await this.admin.call('PATCH', `/id/${this.handlerId(app)}`, handler);
    if (swapped.status === 200) return;
    if (swapped.status !== 404) throw new DeckhandError('traffic_switch_failed', `Caddy refused the switch: HTTP ${swapped.status} ${swapped.body.trim()}`);
    await this.ensureServer(app, publicPort, handler);
  }

  /** The app's reverse_proxy handler, as deckhand writes it whole (its `@id` included, so the next switch finds it). */
  private handler(app: string, upstreams: Array<{ dial: string }>, kind: 'one' | 'fallback' | 'cluster'): object {
    const settings = {
      one: { load_balancing: ZERO_DOWNTIME_LOAD_BALANCING },
      fallback: FALLBACK_SETTINGS,
      cluster: { load_balancing: clusterLoadBalancing(upstreams.length), health_checks: CLUSTER_HEALTH_CHECKS },
    }[kind];
    return { '@id': this.handlerId(app), handler: 'reverse_proxy', upstreams, ...settings };
  }

  /** The upstream port traffic goes to now; null when the app has no route. Throws when Caddy cannot be asked. */
  async upstream(app: string): Promise<number | null> {
    return (await this.upstreams(app))[0] ?? null;
  }

  /** Every port the app's handler lists, in its order (cluster nodes share one port); [] when the app has no route. */
  async upstreams(app: string): Promise<number[]> {
    const response = await this.admin.call('GET', `/id/${this.handlerId(app)}/upstreams`);
    if (response.status === 404) return [];
    if (response.status !== 200) throw new DeckhandError('traffic_switch_failed', `Caddy did not say where ${app} goes: HTTP ${response.status}`);
    const body = JSON.parse(response.body) as Array<{ dial: string }> | null;
    const ports = (body ?? []).map((upstream) => Number(upstream.dial.split(':').pop())).filter((port) => Number.isInteger(port) && port > 0);
    return [...new Set(ports)];
  }

  /** The app server's responses and 5xx so far, from Caddy's own metrics (the watch window's 5xx rule). */
  async responses(app: string): Promise<ResponseCounts> {
    const response = await this.admin.call('GET', '/metrics');
    if (response.status !== 200) throw new DeckhandError('traffic_switch_failed', `Caddy did not give its metrics: HTTP ${response.status}`);
    return responseCountsFor(response.body, `deckhand-${app}`);
  }

  /** Connections from this host to the upstream port (Caddy's, when it runs here): see openConnectionsTo. */
  async openConnections(upstreamPort: number): Promise<number> {
    return openConnectionsTo(upstreamPort);
  }

  private async ensureServer(app: string, publicPort: number, handler: object): Promise<void> {
    const server = {
      listen: [`${this.publicHost}:${publicPort}`],
      automatic_https: { disable: true },
      // Per-server request metrics at the admin endpoint's /metrics: the watch window reads the 5xx ratio there.
      metrics: {},
      routes: [{ handle: [handler] }],
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

/**
 * How Caddy keeps a switch invisible. A request whose upstream cannot be dialled (the old container went away, the new
 * one is still binding) is tried again every 50 ms for up to 5 s; a request that reached an upstream which then
 * dropped the connection is retried when its method is idempotent and bodyless (GET, HEAD, OPTIONS; never a POST:
 * it may have been acted on).
 * Upstream keep-alive connections belong to the reverse_proxy handler of one config: a switch loads a new config whose
 * handler dials only the new container, and the old handler's idle connections are closed when it is cleaned up, so
 * a pooled connection to the old container is never reused after the switch. Its in-flight requests finish on the old
 * config, and the pipeline waits DECKHAND_DRAIN, then for the connections still open to the old container
 * (openConnections), before stopping it: the switch's config load ended the old route's retries, so a request cut
 * there is answered 502, never tried again.
 */
export const ZERO_DOWNTIME_LOAD_BALANCING = {
  try_duration: '5s',
  try_interval: '50ms',
  // No `retries` count: Caddy stops at whichever of retries or try_duration comes first, and 5 s is the bound wanted.
  // Bodyless idempotent methods only: Caddy 2.6 does not keep a request body for a second attempt.
  retry_match: [{ method: ['GET', 'HEAD', 'OPTIONS'] }],
};

/**
 * Upstreams on several nodes (a cluster runtime): a request that failed on a node (its engine stopped, the node went
 * away) marks that upstream down for 10 s, so the next requests and the failed one's retries go to the other nodes.
 * Without it Caddy 2.6 keeps choosing the dead node at random and retrying.
 */
export const CLUSTER_HEALTH_CHECKS = { passive: { fail_duration: '10s', max_fails: 1 } };

/**
 * Retries across nodes: at once, never after a wait. Caddy ends a retry that waits for its `try_interval` when a new
 * config loads (any switch or revert, of any app) and answers 502; on a cluster the failures come exactly then (a
 * node stopped during a deploy, a task Swarm kills as the watch window reverts). With other nodes up there is nothing
 * to wait for: the failed node is marked down (CLUSTER_HEALTH_CHECKS) and the retry goes to another one. A bounded
 * count instead of a duration, so a request that finds every upstream down fails at once instead of spinning.
 */
export function clusterLoadBalancing(upstreams: number): object {
  const { retry_match } = ZERO_DOWNTIME_LOAD_BALANCING;
  return { retries: Math.max(2, upstreams), retry_match };
}

/**
 * The new version first, the previous one (still running through the watch window) second. A request the new one
 * cannot take (it crashed: the dial is refused or the connection drops) marks it down for 5 s and is tried on the
 * previous one at once, so users are served while the watch window notices and sends traffic back. Without it those
 * requests waited in Caddy's retries for the single upstream, and the revert's config load ended each of them with a
 * 502. The retry never waits for an interval, for the same reason as clusterLoadBalancing: a request waiting there
 * when the revert's config loads is answered 502. 5 s outlasts the watch window's noticing (a probe a second) and the
 * revert. Only failures count: a new version that answers, 5xx included, keeps every request (the watch window's 5xx
 * rule judges those).
 */
export const FALLBACK_SETTINGS = {
  load_balancing: { ...clusterLoadBalancing(2), selection_policy: { policy: 'first' } },
  health_checks: { passive: { fail_duration: '5s', max_fails: 1 } },
};

/** No proxy: the new container takes the public port itself after the old one stops (a short gap). */
export class RecreateTraffic implements TrafficSwitch {
  readonly mode = 'recreate' as const;

  /** Why there is no proxy: chosen (`DECKHAND_PROXY=none`), or Caddy is not installed. */
  constructor(private readonly why: 'chosen' | 'no-caddy' = 'chosen') {}

  /** Said once per deploy, plainly: this deploy drops requests, and how to stop that. */
  async warnings(): Promise<string[]> {
    const cause = this.why === 'chosen' ? 'DECKHAND_PROXY=none chooses the recreate strategy' : 'Caddy is not installed';
    return [`${cause}: requests to this app fail while its container restarts. For zero downtime install Caddy (\`apt-get install caddy\`)${this.why === 'chosen' ? ' and unset DECKHAND_PROXY' : ''}; deckhand then runs it itself.`];
  }

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
