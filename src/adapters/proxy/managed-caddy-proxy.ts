import type { TrafficSwitch } from '../../domain/ports.js';
import { CaddyProxy } from './caddy-proxy.js';
import { ADMIN_TIMEOUT_MS } from './caddy-admin.js';
import { type EnsureOutcome, ManagedCaddy } from './managed-caddy.js';

export interface Route {
  app: string;
  publicPort: number;
  upstreamPort: number;
  /** The nodes a cluster runtime's version answers on; absent: 127.0.0.1 (one Docker host). */
  hosts?: string[];
}

/**
 * The traffic switch over deckhand's own Caddy. Every use first makes sure that Caddy runs (adopting one another
 * deckhand process started); when it had to be started again, every app's route is put back from the database (the
 * current deploy's upstream port) before anything else is asked of it, so a switch never lands on an empty proxy.
 * Caddy's `--resume` normally brings the routes back by itself; the restore covers a lost autosave.
 */
export class ManagedCaddyProxy implements TrafficSwitch {
  readonly mode = 'proxy' as const;
  private readonly proxy: CaddyProxy;
  private ensuring: Promise<EnsureOutcome> | undefined;
  /** What the switch's own checks had to do (Caddy started again), not yet said: see takeNotes. */
  private notes: string[] = [];

  constructor(
    readonly caddy: ManagedCaddy,
    private readonly routes: () => Promise<Route[]>,
    publicHost = '',
  ) {
    this.proxy = new CaddyProxy(caddy.admin, publicHost);
  }

  /** Starts or adopts Caddy; after a start, restores the routes. One check at a time per process. */
  ready(): Promise<EnsureOutcome> {
    this.ensuring ??= this.ensureAndRestore().finally(() => {
      this.ensuring = undefined;
    });
    return this.ensuring;
  }

  /** Routes Caddy lacks or sends elsewhere, put back from the database; returns the apps it restored. */
  async restoreRoutes(): Promise<string[]> {
    const restored: string[] = [];
    for (const route of await this.routes()) {
      if ((await this.proxy.upstream(route.app)) === route.upstreamPort) continue;
      await this.proxy.point(route.app, route.publicPort, route.upstreamPort, route.hosts);
      restored.push(route.app);
    }
    return restored;
  }

  private async ensureAndRestore(): Promise<EnsureOutcome> {
    const outcome = await this.caddy.ensure();
    if (outcome === 'started' || outcome === 'replaced') await this.restoreRoutes();
    return outcome;
  }

  /** ready(), for a deploy's own calls: what it had to do is kept for the deploy's thread. */
  private async readyNoting(): Promise<void> {
    const note = ensureNote(await this.ready());
    if (note) this.notes.push(note);
  }

  /** What Caddy needed since the last call (started again, a hung one replaced), in words, once (calls that shared one start say it once). */
  takeNotes(): string[] {
    return [...new Set(this.notes.splice(0))];
  }

  async warnings(): Promise<string[]> {
    return this.proxy.warnings();
  }

  async point(app: string, publicPort: number, upstreamPort: number, hosts?: string[], fallbackPort?: number): Promise<void> {
    await this.readyNoting();
    await this.proxy.point(app, publicPort, upstreamPort, hosts, fallbackPort);
  }

  async upstream(app: string): Promise<number | null> {
    await this.readyNoting();
    return this.proxy.upstream(app);
  }

  /** Asks the kernel, not Caddy: Caddy need not be running for what it still has open to be counted. */
  async openConnections(upstreamPort: number): Promise<number> {
    return this.proxy.openConnections(upstreamPort);
  }

  async upstreams(app: string): Promise<number[]> {
    await this.readyNoting();
    return this.proxy.upstreams(app);
  }
}

/** What an ensure did, in words (nothing when Caddy was running or another deckhand's was adopted). */
export function ensureNote(outcome: EnsureOutcome): string | undefined {
  if (outcome === 'started') return 'Caddy was not running: started it again and restored every route';
  if (outcome === 'replaced') return `Caddy did not answer on its admin socket within ${ADMIN_TIMEOUT_MS / 1000}s (hung): killed it, started it again and restored every route`;
  return undefined;
}
