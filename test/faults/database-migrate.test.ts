import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrationsFolder, openDatabase } from '../../src/adapters/db/client.js';
import { type PgCluster, havePgCluster, startPgCluster } from '../helpers/pg-cluster.js';

const enabled = havePgCluster();
const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };

/** `deckhand` as a separate process (src/main-cli.ts through tsx), killed if it outlives 60 s. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main-cli.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

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

  it('two real CLI processes started at once on an empty database both succeed', async () => {
    const url = await cluster.createDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-f-db-mig-'));
    try {
      writeFileSync(join(dir, 'deckhand.yml'), 'apps:\n  f-db-mig:\n    source: { image: "busybox:1" }\n    run: { port: 1 }\n');
      const env = { PATH: process.env.PATH, HOME: dir, DATABASE_URL: url, DECKHAND_DATA_DIR: dir, DECKHAND_PROXY: 'none', DECKHAND_CONFIG: join(dir, 'deckhand.yml') };
      const runs = await Promise.all([0, 1].map(() => cli(['deploys', 'f-db-mig', '--json'], env)));
      expect(runs).toEqual([
        { code: 0, stdout: '[]\n', stderr: '' },
        { code: 0, stdout: '[]\n', stderr: '' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
