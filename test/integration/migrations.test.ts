import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { openDatabase } from '../../src/adapters/db/client.js';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const enabled = await havePostgres();

describe.skipIf(!enabled)('migrations on Postgres', () => {
  it('a migration that fails stops start-up with database_unavailable and a non-zero CLI exit', async () => {
    const scratch = await createScratchDatabase();
    const url = scratch.url;
    const conflicting = postgres(url, { max: 1, onnotice: () => undefined });
    await conflicting.unsafe('create table deployments (something_else int)'); // the first migration cannot create it
    try {
      await expect(openDatabase({ url: url, dataDir: 'unused' })).rejects.toMatchObject({ code: 'database_unavailable', message: expect.stringContaining('migration failed') });
      const err: string[] = [];
      const code = await runCli(['deploys', 'web'], {
        io: { out: () => undefined, err: (t) => err.push(t) },
        env: { DATABASE_URL: url, DECKHAND_CONFIG: 'deckhand.example.yml' },
      });
      expect(code).toBe(1);
      expect(err[0]).toMatch(/^deckhand: database_unavailable: Database migration failed/);
    } finally {
      await conflicting.end();
      await scratch.drop();
    }
  });
});
