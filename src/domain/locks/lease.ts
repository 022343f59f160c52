import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { LeaseStore } from '../ports.js';

export interface HeldLease {
  readonly name: string;
  readonly holder: string;
  /** True once a renewal found the lease taken by someone else. */
  lost(): boolean;
  release(): Promise<void>;
}

/**
 * Durable, expiring mutual exclusion over the LeaseStore. A holder renews its lease every third of the lease time;
 * a holder that died stops renewing, and its lease can be taken once it expires.
 */
export class LeaseManager {
  constructor(
    private readonly store: LeaseStore,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {}

  async tryAcquire(name: string, label = 'deckhand'): Promise<HeldLease | undefined> {
    const holder = `${label}:${process.pid}:${randomUUID()}`;
    const now = this.clock.now();
    const taken = await this.store.tryAcquire(name, holder, now, new Date(now.getTime() + this.leaseMs));
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
        await this.store.release(name, holder);
      },
    };
  }

  holder(name: string) {
    return this.store.holder(name);
  }
}

export const appLeaseName = (app: string) => `app:${app}`;
