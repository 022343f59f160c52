import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase } from '../../src/adapters/db/client.js';
import { newestMigrationMillis } from '../../src/adapters/db/migration-check.js';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const enabled = await havePostgres();
/** client.ts's advisory lock key: two processes migrating an empty database take turns on it. */
const MIGRATION_LOCK_KEY = 0x6465636b68616e64n.toString();

/**
 * Opening an up-to-date Postgres database asks one question (is the newest migration recorded?) instead of taking the
 * migration lock and letting drizzle read and hash every migration file: every CLI command opens the database. A
 * database that lacks a migration still goes through the lock and drizzle.
 */
describe.skipIf(!enabled)('opening an up-to-date database skips the migration lock', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  const scratch = async () => {
    const created = await createScratchDatabase('deckhand_migcheck');
    cleanups.push(() => created.drop());
    const holder = postgres(created.url, { max: 1, onnotice: () => undefined });
    cleanups.push(() => holder.end({ timeout: 2 }));
    return { url: created.url, holder };
  };

  it('a new database is migrated; opened again while another process holds the migration lock, it opens at once', async () => {
    const { url, holder } = await scratch();
    const first = await openDatabase({ url, dataDir: 'unused' });
    await first.close();
    const count = (await holder<Array<{ count: number }>>`select count(*)::int as count from drizzle.__drizzle_migrations`)[0]!.count;
    const newest = (await holder<Array<{ newest: string }>>`select max(created_at)::bigint as newest from drizzle.__drizzle_migrations`)[0]!.newest;
    expect(count).toBeGreaterThan(5);
    expect(Number(newest)).toBe(newestMigrationMillis(migrationsFolder));

    await holder`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    const again = await openDatabase({ url, dataDir: 'unused' });
    const rows = await again.db.execute('select 1 as one');
    expect(rows).toBeTruthy();
    await again.close();
    const held = (await holder<Array<{ held: number }>>`select count(*)::int as held from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`)[0]!.held;
    expect(held).toBe(1);
    await holder`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
  });

  it('a database that lacks the newest migration waits for the lock and hands it to drizzle', async () => {
    const { url, holder } = await scratch();
    await (await openDatabase({ url, dataDir: 'unused' })).close();
    await holder`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`;
    await holder`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    let settled = false;
    const opening = openDatabase({ url, dataDir: 'unused' }).then(
      async (database) => {
        await database.close();
        return 'opened';
      },
      (error: Error) => error.message,
    ).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(settled).toBe(false);
    await holder`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    // drizzle applied the newest migration again on a schema that has it (its first statement drops an index that is
    // gone): proof that it ran, and a failed migration is reported, never ignored.
    expect(await opening).toMatch(/^Database migration failed: /);
  });
});
