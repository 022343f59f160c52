import { DeckhandError } from '../../domain/errors.js';
import type { TrafficSwitch } from '../../domain/ports.js';

/**
 * Traffic switch through Caddy's admin API. Each app's public port is a Caddy server `deckhand-<app>` with one
 * reverse_proxy route; a deploy swaps that route's upstream. Caddy applies config changes gracefully (listeners are
 * kept, in-flight requests finish), so users see no failed request.
 */
export class CaddyProxy implements TrafficSwitch {
  readonly mode = 'proxy' as const;

  constructor(
    private readonly adminUrl: string,
    /** Interface the public ports listen on; empty means all interfaces. */
    private readonly publicHost = '',
  ) {}

  private handlerId = (app: string) => `deckhand-${app}-proxy`;

  async point(app: string, publicPort: number, upstreamPort: number): Promise<void> {
    const upstreams = [{ dial: `127.0.0.1:${upstreamPort}` }];
    const swapped = await this.request('PATCH', `/id/${this.handlerId(app)}/upstreams`, upstreams, [404]);
    if (swapped) return;
    await this.ensureServer(app, publicPort, upstreams);
  }

  /** The upstream port traffic goes to now, or undefined when the app has no route. */
  async upstream(app: string): Promise<number | undefined> {
    const response = await fetch(this.url(`/id/${this.handlerId(app)}/upstreams`)).catch((error) => this.unreachable(error));
    if (!response.ok) return undefined;
    const body = (await response.json()) as Array<{ dial: string }> | null;
    const dial = body?.[0]?.dial;
    return dial ? Number(dial.split(':').pop()) : undefined;
  }

  private async ensureServer(app: string, publicPort: number, upstreams: Array<{ dial: string }>): Promise<void> {
    const server = {
      listen: [`${this.publicHost}:${publicPort}`],
      automatic_https: { disable: true },
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
    for (let depth = path.length - 1; depth >= 0; depth -= 1) {
      const parent = `/config/${path.slice(0, depth).join('/')}`;
      const exists = depth === 0 ? true : await this.exists(parent);
      if (exists) {
        await this.request(depth === 0 && !(await this.hasConfig()) ? 'POST' : 'PUT', `/config/${path.slice(0, depth + 1).join('/')}`, value);
        return;
      }
      value = { [path[depth]!]: value };
    }
  }

  private async hasConfig(): Promise<boolean> {
    const response = await fetch(this.url('/config/')).catch((error) => this.unreachable(error));
    const body = await response.text();
    return response.ok && body.trim() !== 'null' && body.trim() !== '';
  }

  private async exists(path: string): Promise<boolean> {
    const response = await fetch(this.url(path)).catch((error) => this.unreachable(error));
    const body = await response.text();
    return response.ok && body.trim() !== 'null';
  }

  private async request(method: string, path: string, body: unknown, tolerated: number[] = []): Promise<boolean> {
    const response = await fetch(this.url(path), {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).catch((error) => this.unreachable(error));
    if (response.ok) return true;
    const text = await response.text();
    if (tolerated.includes(response.status)) return false;
    throw new DeckhandError('traffic_switch_failed', `Caddy refused ${method} ${path}: HTTP ${response.status} ${text.trim()}`);
  }

  private url(path: string): string {
    return new URL(path, this.adminUrl).toString();
  }

  private unreachable(error: unknown): never {
    throw new DeckhandError('traffic_switch_failed', `Caddy's admin API at ${this.adminUrl} is unreachable: ${(error as Error).message}`, {}, { cause: error });
  }
}

/** No proxy: the new container takes the public port itself after the old one stops (a short gap). */
export class RecreateTraffic implements TrafficSwitch {
  readonly mode = 'recreate' as const;

  async point(): Promise<void> {
    // Nothing to move: in recreate mode the container listens on the public port.
  }
}
