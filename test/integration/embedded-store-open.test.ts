import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/adapters/db/client.js';
import { openEmbeddedStore } from '../../src/adapters/db/embedded-store.js';

/**
 * What the owner of the embedded store does when it opens PGlite, every time a CLI runs with no bot: Postgres runs
 * with 16 MB of shared buffers (PGlite's 128 MB took about 0.3 s to zero at each open), and a store that is up to
 * date is not handed to drizzle's migrator again (one query instead of reading and hashing every migration file).
 */
describe('opening the embedded store as its owner', () => {
  const root = mkdtempSync(join(tmpdir(), 'deckhand-embedded-open-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A migrations folder with the real journal and no SQL files: drizzle's migrator fails on it, a skipped one does not. */
  const journalOnly = (newest?: number) => {
    const folder = mkdtempSync(join(root, 'migrations-'));
    mkdirSync(join(folder, 'meta'));
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ when: number; tag: string }> };
    if (newest !== undefined) journal.entries.push({ ...journal.entries.at(-1)!, when: newest, tag: '9999_not_there' });
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
    return folder;
  };

  it('serves Postgres with 16 MB of shared buffers, to itself and to a process that connects through its socket', async () => {
    const dbDir = join(root, 'buffers', 'db');
    const owner = await openEmbeddedStore({ dbDir, migrationsFolder, lingerMs: 0 });
    try {
      const own = (await owner.db.execute(sql`show shared_buffers`)) as unknown as { rows: Array<{ shared_buffers: string }> };
      expect(own.rows[0]!.shared_buffers).toBe('16MB');
      const client = await openEmbeddedStore({ dbDir, migrationsFolder });
      try {
        const seen = (await client.db.execute(sql`show shared_buffers`)) as unknown as Array<{ shared_buffers: string }>;
        expect(seen[0]!.shared_buffers).toBe('16MB');
      } finally {
        await client.close();
      }
    } finally {
      await owner.close();
    }
  });

  it('opens an up-to-date store without drizzle reading the migration files; a newer migration still goes to drizzle', async () => {
    const dbDir = join(root, 'migrated', 'db');
    await (await openEmbeddedStore({ dbDir, migrationsFolder, lingerMs: 0 })).close();

    // The same newest migration as the store has, and not one SQL file: opening asks one question and is done.
    const again = await openEmbeddedStore({ dbDir, migrationsFolder: journalOnly(), lingerMs: 0 });
    const rows = (await again.db.execute(sql`select count(*)::int as count from drizzle.__drizzle_migrations`)) as unknown as { rows: Array<{ count: number }> };
    expect(rows.rows[0]!.count).toBeGreaterThan(5);
    await again.close();

    // A journal with a newer migration: drizzle runs, finds no file for it, and the open fails as a migration.
    const copy = join(root, 'migrated-copy', 'db');
    cpSync(dbDir, copy, { recursive: true });
    await expect(openEmbeddedStore({ dbDir: copy, migrationsFolder: journalOnly(Date.now()), lingerMs: 0 })).rejects.toThrow(/Database migration failed/);
  });
});
