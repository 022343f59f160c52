import { asc, eq, sql } from 'drizzle-orm';
import type { AppLock, AppLockStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { appLocks } from './schema.js';

export class DrizzleAppLockStore implements AppLockStore {
  /** Read before every forward deploy and every status: prepared once, reused. */
  private readonly byApp;

  constructor(private readonly db: Db) {
    this.byApp = db.select().from(appLocks).where(eq(appLocks.app, sql.placeholder('app'))).prepare('app_locks_get');
  }

  async get(app: string): Promise<AppLock | undefined> {
    const [row] = await this.byApp.execute({ app });
    return row;
  }

  async set(lock: AppLock): Promise<void> {
    await this.db
      .insert(appLocks)
      .values(lock)
      .onConflictDoUpdate({ target: appLocks.app, set: { reason: lock.reason, lockedBy: lock.lockedBy, lockedAt: lock.lockedAt, deploymentId: lock.deploymentId } });
  }

  async clear(app: string): Promise<AppLock | undefined> {
    const [row] = await this.db.delete(appLocks).where(eq(appLocks.app, app)).returning();
    return row;
  }

  list(): Promise<AppLock[]> {
    return this.db.select().from(appLocks).orderBy(asc(appLocks.app));
  }
}
