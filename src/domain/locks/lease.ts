import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { LeaseStore } from '../ports.js';

export interface HeldLease {
  readonly name: string;
  readonly holder: string;
  /** True once a renewal found the lease taken by someone else. */
  lost(): boolean;
  release(): Promise<void>;
}

/** Which process holds a lease: the host and pid are part of the holder string. */
export interface ProcessTable {
  host: string;
  pid: number;
  /** False only when the pid is known not to exist on this host. */
  alive(pid: number): boolean;
}

/**
 * This host as pids see it: the host name plus the pid namespace, so a process in a container that shares the host's
 * name (host networking) is never judged by pids of another namespace.
 */
function pidNamespaceHost(): string {
  let namespace = '';
  try {
    namespace = readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
  } catch {
    // not Linux: the host name alone
  }
  return `${hostname().replace(/[@/\s]/g, '_')}${namespace ? `~${namespace}` : ''}`;
}

export const localProcesses: ProcessTable = {
  host: pidNamespaceHost(),
  pid: process.pid,
  alive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  },
};

const HOLDER = /@([^@\s]+)\/(\d+)\/[0-9a-f-]{36}$/;

/** The host and pid a holder string names (`<label>@<host>/<pid>/<uuid>`), if it names them. */
export function holderProcess(holder: string): { host: string; pid: number } | undefined {
  const match = HOLDER.exec(holder);
  return match ? { host: match[1]!, pid: Number(match[2]) } : undefined;
}

/** Who took a lease, as they named themselves (`<label>@…`): an actor, or `deckhand:watchdog` and the like. */
export const holderLabel = (holder: string): string => holder.replace(HOLDER, '');

/**
 * Durable, expiring mutual exclusion over the LeaseStore. A holder renews its lease every third of the lease time;
 * a holder that died stops renewing, and its lease can be taken once it expires, or at once when the holder was a
 * process on this host whose pid no longer exists (a killed CLI must not block the next deploy for a whole lease).
 */
export class LeaseManager {
  constructor(
    private readonly store: LeaseStore,
    private readonly clock: Clock,
    private readonly leaseMs: number,
    private readonly processes: ProcessTable = localProcesses,
  ) {}

  /** Leases this process released while the store was unreachable: released for real before they are next asked for. */
  private readonly unreleased = new Map<string, string>();

  async tryAcquire(name: string, label = 'deckhand'): Promise<HeldLease | undefined> {
    const stale = this.unreleased.get(name);
    if (stale !== undefined) {
      await this.store.release(name, stale);
      this.unreleased.delete(name);
    }
    const holder = `${label}@${this.processes.host}/${this.processes.pid}/${randomUUID()}`;
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.leaseMs);
    const taken = (await this.store.tryAcquire(name, holder, now, expiresAt)) || (await this.takeFromDeadHolder(name, holder, now, expiresAt));
    if (!taken) return undefined;
    let lost = false;
    let released = false;
    const timer = setInterval(() => {
      const expiresAt = new Date(this.clock.now().getTime() + this.leaseMs);
      this.store.renew(name, holder, expiresAt).then(
        (ok) => {
          if (!ok && !released) lost = true;
        },
        () => undefined, // a failed renewal is retried at the next tick; the lease is still valid until it expires
      );
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    timer.unref();
    return {
      name,
      holder,
      lost: () => lost,
      release: async () => {
        released = true;
        clearInterval(timer);
        // A release that cannot reach the store (database gone) must not turn a finished deploy into an error: this
        // process releases it before it next asks for it, another host's process once it expires, and this host's
        // next process at once when this one has exited.
        await this.store.release(name, holder).catch(() => {
          this.unreleased.set(name, holder);
          process.emitWarning(`deckhand: could not release lease ${name} (the database is unavailable); released when next needed, or it expires`);
        });
      },
    };
  }

  holder(name: string) {
    return this.store.holder(name);
  }

  private async takeFromDeadHolder(name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    const current = await this.store.holder(name);
    const owner = current && holderProcess(current.holder);
    if (!current || !owner || owner.host !== this.processes.host || owner.pid === this.processes.pid || this.processes.alive(owner.pid)) return false;
    return this.store.replace(name, current.holder, holder, now, expiresAt);
  }
}

export const appLeaseName = (app: string) => `app:${app}`;
