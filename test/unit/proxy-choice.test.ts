import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import { onPath } from '../../src/adapters/proxy/managed-caddy.js';
import { createTestDatabase } from '../helpers/db.js';

/** Which traffic switch deckhand picks, with no Docker call and no Caddy started (the managed one starts lazily). */
describe('proxy choice', () => {
  const compose = async (vars: Record<string, string>, path?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-choice-'));
    const db = await createTestDatabase('pglite');
    const saved = process.env.PATH;
    if (path !== undefined) process.env.PATH = path;
    try {
      const services = await createServices({ env: loadEnv({ DECKHAND_DATA_DIR: dir, ...vars }), apps: [], database: db });
      return { mode: services.traffic.mode, managed: services.managedProxy !== undefined, warnings: (await services.traffic.warnings?.()) ?? [] };
    } finally {
      process.env.PATH = saved;
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('rejects an unknown DECKHAND_PROXY by name', () => {
    expect(() => loadEnv({ DECKHAND_PROXY: 'nginx' })).toThrow(/DECKHAND_PROXY: Invalid option: expected one of "caddy"\|"none"|DECKHAND_PROXY/);
  });

  it.skipIf(!onPath('caddy'))('runs its own Caddy by default when caddy is on the PATH, and none when DECKHAND_PROXY=none', async () => {
    expect(await compose({})).toMatchObject({ mode: 'proxy', managed: true });
    expect(await compose({ DECKHAND_PROXY: 'none' })).toMatchObject({ mode: 'recreate', managed: false });
    expect(await compose({ DECKHAND_CADDY_ADMIN_URL: 'http://127.0.0.1:2019' })).toMatchObject({ mode: 'proxy', managed: false });
  });

  it('without caddy installed, falls back to recreate and says how to get zero downtime', async () => {
    const choice = await compose({}, '/nonexistent');
    expect(choice).toMatchObject({ mode: 'recreate', managed: false });
    expect(choice.warnings).toEqual(['Caddy is not installed: requests to this app fail while its container restarts. For zero downtime install Caddy (`apt-get install caddy`); deckhand then runs it itself.']);
  });
});
