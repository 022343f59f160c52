import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from 'postgres';

/** The newest migration's time in drizzle's journal (`when`): what drizzle compares with the last one applied. */
export function newestMigrationMillis(folder: string): number {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ when: number }> };
  return Math.max(0, ...journal.entries.map((entry) => entry.when));
}

/**
 * Whether every migration is applied already, by drizzle's own rule (it applies each migration newer than the last
 * one recorded), asked in one query on the connection the command goes on to use: a database that is up to date, the
 * usual case for every CLI command, costs no second connection, no advisory lock and no hashing of migration files.
 * False when the migrations table does not exist yet (a new database). Any other failure (the database cannot be
 * reached) is thrown, to be told as opening the database would.
 */
export async function migrationsApplied(client: Sql, folder: string): Promise<boolean> {
  return upToDate(folder, async () => (await client.unsafe<{ created_at: unknown }[]>(LAST_APPLIED))[0]);
}

/** The same check on the embedded store's own PGlite, when its owner opens it. */
export async function pgliteMigrationsApplied(client: PGlite, folder: string): Promise<boolean> {
  return upToDate(folder, async () => (await client.query<{ created_at: unknown }>(LAST_APPLIED)).rows[0]);
}

/** The newest migration drizzle recorded (what it compares with the journal). */
const LAST_APPLIED = 'select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1';

async function upToDate(folder: string, lastApplied: () => Promise<{ created_at: unknown } | undefined>): Promise<boolean> {
  const newest = newestMigrationMillis(folder);
  try {
    const last = await lastApplied();
    return last !== undefined && Number(last.created_at) >= newest;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42P01' || code === '3F000') return false; // undefined table / schema: nothing migrated yet
    throw error;
  }
}
