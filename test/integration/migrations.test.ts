import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { openDatabase } from '../../src/adapters/db/client.js';
import { havePostgres, postgresUrl } from '../helpers/infra.js';

const enabled = await havePostgres();

describe.skipIf(!enabled)('migrations on Postgres', () => {
  it('a migration that fails stops start-up with database_unavailable and a non-zero CLI exit', async () => {
    const name = `deckhand_t_${randomBytes(6).toString('hex')}`;
    const admin = postgres(postgresUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    const conflicting = postgres(url.toString(), { max: 1, onnotice: () => undefined });
    await conflicting.unsafe('create table deployments (something_else int)'); // the first migration cannot create it
    try {
      await expect(openDatabase({ url: url.toString(), dataDir: 'unused' })).rejects.toMatchObject({ code: 'database_unavailable', message: expect.stringContaining('migration failed') });
      const err: string[] = [];
      const code = await runCli(['deploys', 'web'], {
        io: { out: () => undefined, err: (t) => err.push(t) },
        env: { DATABASE_URL: url.toString(), DECKHAND_CONFIG: 'deckhand.example.yml' },
      });
      expect(code).toBe(1);
      expect(err[0]).toMatch(/^deckhand: database_unavailable: Database migration failed/);
    } finally {
      await conflicting.end();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
