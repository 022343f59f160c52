import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { DATABASE_ERROR, DeckhandError, databaseFailure, databaseUnavailable, isDeckhandError, unreachableDatabaseCode } from '../../domain/errors.js';
import { migrationsApplied } from './migration-check.js';
import { boundedSocketFactory } from './postgres-socket.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /**
   * Postgres: a pool of its own for the Slack ack path (the replay ledger), so an ack never queues behind the reads
   * of fifty other requests in the main pool. Its connections open on first use. Absent: use `db`.
   */
  acks?: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/**
 * drizzle/ sits at the package root, beside src/ and dist/: found by walking up from this module, which may run from
 * src/, dist/ (tsc) or one of the CLI bundle's chunks in dist/bundle/.
 */
export const migrationsFolder = packageDir('drizzle', dirname(fileURLToPath(import.meta.url)));

function packageDir(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, name, 'meta', '_journal.json'))) return join(dir, name);
    if (dirname(dir) === dir) throw new Error(`deckhand's ${name}/ folder was not found above ${from}`);
  }
}

export interface OpenOptions {
  /** postgres:// URL; without it an embedded PGlite database is used. */
  url?: string;
  /** Where PGlite keeps its files; `memory://` for a throw-away database. */
  dataDir: string;
  /** Postgres: a query that hears nothing back from the server for this long fails as database_unavailable (default 15 s). */
  silenceTimeoutMs?: number;
  /**
   * Postgres: how many of the main pool's connections open together, with the first query (default 1: the rest
   * open as queries need them). For a short-lived command whose reads run side by side (a CLI rollback).
   */
  connections?: number;
}

/** Opens the database and applies pending migrations. A failed migration throws: nothing may run on a half-migrated schema. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const database = options.url ? await openPostgres(options.url, options.silenceTimeoutMs ?? 15_000, options.connections ?? 1) : await openPglite(options.dataDir);
  try {
    await database.migrate();
  } catch (error) {
    await database.close().catch(() => undefined);
    throw migrationError(error);
  }
  return database;
}

/** An unreachable database says so; any other failure names the server's reason, never the SQL. */
function migrationError(error: unknown): DeckhandError {
  if (isDeckhandError(error)) return error;
  const marked = markDatabaseError(error);
  const unreachable = unreachableDatabaseCode(marked);
  if (unreachable) return databaseUnavailable(unreachable, error);
  const reason = databaseFailure(marked)?.message.replace(/^A database query failed: /, '') ?? 'unknown reason';
  return new DeckhandError('database_unavailable', `Database migration failed: ${reason}`, {}, { cause: error });
}

function markDatabaseError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && !(DATABASE_ERROR in error)) Object.defineProperty(error, DATABASE_ERROR, { value: true });
  return error;
}

/** Bounded time: connecting gives up after 5 s, and a query the server stops answering fails after `silenceMs`. */
const CONNECT_TIMEOUT_S = 5;
/** One key for "deckhand is migrating this database" (ASCII "deckhand" folded into a bigint). */
const MIGRATION_LOCK_KEY = 0x6465636b68616e64n;
/** Waiting for another process's migration: per attempt (below the silence bound), and how many attempts. */
const MIGRATION_LOCK_WAIT = '10s';
const MIGRATION_LOCK_ATTEMPTS = 9;

/**
 * Opens `count` more connections of the pool now, beside the first query, instead of one at a time later: a command's
 * reads that run side by side otherwise each wait for a connection's handshake, mid-command (two waits of 15-20 ms
 * in a CLI rollback). Nothing waits for them; one that fails is opened again when a query needs it.
 */
function warmPool(client: import('postgres').Sql, count: number): void {
  for (let i = 0; i < count; i += 1) client`select 1`.catch(() => undefined);
}

async function openPostgres(url: string, silenceMs: number, connections: number): Promise<Database & { migrate(): Promise<void> }> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  // postgres.js waits up to 20 s between reconnection attempts after repeated failures (and queues queries
  // meanwhile); at most 2 s here, so a missing database is reported quickly and a returning one is used at once.
  const settings = {
    onnotice: () => undefined,
    // postgres.js asks for the array types on every new connection, in a promise nobody awaits: a database that goes
    // away in that moment became an unhandled rejection, which ends the bot. deckhand's schema has no array columns.
    fetch_types: false,
    connect_timeout: CONNECT_TIMEOUT_S,
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 2),
    socket: boundedSocketFactory(silenceMs),
  };
  const client = postgres(url, { ...settings, max: 10 });
  const db = drizzle(client, { schema });
  const ackClient = postgres(url, { ...settings, max: 2 });
  return {
    db: db as unknown as Db,
    acks: drizzle(ackClient, { schema }) as unknown as Db,
    kind: 'postgres',
    // Two processes starting on an empty database must not both create the schema: a session advisory lock on a
    // connection of its own serializes them; the second finds every migration applied. Ending that connection
    // releases the lock whatever happened.
    migrate: async () => {
      warmPool(client, connections - 1);
      if (await migrationsApplied(client, migrationsFolder)) return;
      const lock = postgres(url, { ...settings, max: 1 });
      try {
        await lock`select set_config('lock_timeout', ${MIGRATION_LOCK_WAIT}, false)`;
        for (let attempt = 1; ; attempt += 1) {
          try {
            await lock`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
            break;
          } catch (error) {
            if ((error as { code?: string }).code !== '55P03' || attempt >= MIGRATION_LOCK_ATTEMPTS) throw error;
          }
        }
        await migrate(db, { migrationsFolder });
        await lock`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
      } finally {
        await lock.end({ timeout: 2 }).catch(() => undefined);
      }
    },
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), ackClient.end({ timeout: 5 })]);
    },
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
