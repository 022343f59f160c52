import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrationsFolder, openDatabase } from '../../src/adapters/db/client.js';
import { type PgCluster, havePgCluster, startPgCluster } from '../helpers/pg-cluster.js';

const enabled = havePgCluster();
const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };

describe.skipIf(!enabled)('several deckhand processes starting on one empty Postgres', () => {
  let cluster: PgCluster;

  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(async () => {
    await cluster?.dispose();
  });

  it('all start cleanly and the schema is migrated exactly once (an advisory lock serializes the migrations)', async () => {
    // Several rounds: without the lock, concurrent CREATE SCHEMA / CREATE TABLE fail one of the two most times.
    for (let round = 0; round < 4; round += 1) {
      const url = await cluster.createDatabase();
      const opened = await Promise.allSettled([openDatabase({ url, dataDir: 'unused' }), openDatabase({ url, dataDir: 'unused' }), openDatabase({ url, dataDir: 'unused' })]);
      const databases = opened.filter((o): o is PromiseFulfilledResult<Database> => o.status === 'fulfilled').map((o) => o.value);
      await Promise.all(databases.map((d) => d.close()));
      expect(opened.map((o) => (o.status === 'fulfilled' ? 'ok' : String((o.reason as Error).message)))).toEqual(['ok', 'ok', 'ok']);

      const sql = postgres(url, { max: 1, onnotice: () => undefined });
      try {
        const applied = await sql<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations`;
        expect(applied).toHaveLength(journal.entries.length);
        expect(new Set(applied.map((row) => row.hash)).size).toBe(journal.entries.length);
        // The lock is released: nobody holds deckhand's advisory lock once they are open.
        expect(await sql`select 1 from pg_locks where locktype = 'advisory'`).toHaveLength(0);
      } finally {
        await sql.end({ timeout: 1 });
      }
    }
  });

  it('a migration that fails names the server reason and never the SQL', async () => {
    const url = await cluster.createDatabase();
    const conflicting = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      await conflicting.unsafe('create table audit_events (something_else int)');
      const failure = await openDatabase({ url, dataDir: 'unused' }).then(
        (database) => database.close().then(() => undefined),
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ code: 'database_unavailable', message: 'Database migration failed: relation "audit_events" already exists [42P07].' });
    } finally {
      await conflicting.end({ timeout: 1 });
    }
  });
});
