import { and, eq, lt, sql } from 'drizzle-orm';
import type { LeaseStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { locks } from './schema.js';

export class DrizzleLeaseStore implements LeaseStore {
  constructor(private readonly db: Db) {}

  /** One atomic statement: insert, or take over a row whose lease expired before `now`. */
  async tryAcquire(name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    const rows = await this.db
      .insert(locks)
      .values({ name, holder, acquiredAt: now, expiresAt })
      .onConflictDoUpdate({
        target: locks.name,
        set: { holder, acquiredAt: now, expiresAt },
        setWhere: lt(locks.expiresAt, sql`${now.toISOString()}::timestamptz`),
      })
      .returning({ holder: locks.holder });
    return rows[0]?.holder === holder;
  }

  async renew(name: string, holder: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.db
      .update(locks)
      .set({ expiresAt })
      .where(and(eq(locks.name, name), eq(locks.holder, holder)))
      .returning({ name: locks.name });
    return rows.length === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.delete(locks).where(and(eq(locks.name, name), eq(locks.holder, holder)));
  }

  async replace(name: string, previous: string, holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    const rows = await this.db
      .update(locks)
      .set({ holder, acquiredAt: now, expiresAt })
      .where(and(eq(locks.name, name), eq(locks.holder, previous)))
      .returning({ name: locks.name });
    return rows.length === 1;
  }

  async holder(name: string) {
    const [row] = await this.db.select().from(locks).where(eq(locks.name, name));
    return row ? { holder: row.holder, expiresAt: row.expiresAt } : undefined;
  }
}
