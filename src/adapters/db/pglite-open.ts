import type { PGlite } from '@electric-sql/pglite';
import { DeckhandError } from '../../domain/errors.js';
import type { Db } from './client.js';
import { pgliteMigrationsApplied } from './migration-check.js';
import * as schema from './schema.js';

/**
 * Postgres settings for the store's single session. PGlite starts with Postgres's 128 MB of shared buffers, and
 * zeroing them is about 0.3 s of every open (most of a break-glass CLI's start on the embedded store). deckhand's
 * store is small and its files stay in the OS page cache, so 16 MB (2,048 pages) holds every hot index at 100k rows.
 */
const STORE_SETTINGS = ['-c', 'shared_buffers=16MB'];

/** Opens PGlite at `dir` (creating a store there when there is none) with the store's settings, migrated. */
export async function openMigrated(dir: string, migrationsFolder: string): Promise<{ client: PGlite; db: Db }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const client = new PGlite(dir, { startParams: [...PGlite.defaultStartParams, ...STORE_SETTINGS] });
  const db = drizzle(client, { schema });
  try {
    // Up to date (every open but the first after an upgrade): one query, no migration files hashed.
    if (!(await pgliteMigrationsApplied(client, migrationsFolder))) {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(db, { migrationsFolder });
    }
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new DeckhandError('database_unavailable', `Database migration failed: ${(error as Error).message}`, {}, { cause: error });
  }
  return { client, db: db as unknown as Db };
}

/** Who created a new store, when it was not the process that serves it (see store-create-apart.ts). */
export interface CreatedStore {
  pid: number;
  /** That process's peak resident memory, in MB: what the serving process did not have to hold. */
  peakMb: number;
}

/** Creates a new, migrated store at `dir` in this process, and closes it. */
export async function createStore(dir: string, migrationsFolder: string): Promise<CreatedStore | undefined> {
  const { client } = await openMigrated(dir, migrationsFolder);
  await client.close();
  return undefined;
}
