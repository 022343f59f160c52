import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { DeckhandError } from '../../domain/errors.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/** drizzle/ sits at the package root, beside both src/ and dist/. */
export const migrationsFolder = fileURLToPath(new URL('../../../drizzle', import.meta.url));

export interface OpenOptions {
  /** postgres:// URL; without it an embedded PGlite database is used. */
  url?: string;
  /** Where PGlite keeps its files; `memory://` for a throw-away database. */
  dataDir: string;
}

/** Opens the database and applies pending migrations. A failed migration throws: nothing may run on a half-migrated schema. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const database = options.url ? await openPostgres(options.url) : await openPglite(options.dataDir);
  try {
    await database.migrate();
  } catch (error) {
    await database.close().catch(() => undefined);
    throw new DeckhandError('database_unavailable', `Database migration failed: ${(error as Error).message}`, {}, { cause: error });
  }
  return database;
}

async function openPostgres(url: string): Promise<Database & { migrate(): Promise<void> }> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  const client = postgres(url, { max: 10, onnotice: () => undefined, connect_timeout: 10 });
  const db = drizzle(client, { schema });
  return {
    db: db as unknown as Db,
    kind: 'postgres',
    migrate: () => migrate(db, { migrationsFolder }),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string): Promise<Database & { migrate(): Promise<void> }> {
  if (!dataDir.startsWith('memory://')) {
    // One owner per store: it migrates while opening; other processes reach it through its socket and migrate nothing.
    const { openEmbeddedStore } = await import('./embedded-store.js');
    return { ...(await openEmbeddedStore({ dbDir: dataDir, migrationsFolder })), migrate: async () => undefined };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const client = new PGlite(dataDir);
  const db = drizzle(client, { schema });
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    migrate: () => migrate(db, { migrationsFolder }),
    close: () => client.close(),
  };
}
