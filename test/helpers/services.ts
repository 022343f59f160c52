import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { type Services, createServices } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import type { AppSpec } from '../../src/domain/apps.js';
import type { Clock } from '../../src/domain/clock.js';
import { type TestDatabase, createTestDatabase } from './db.js';
import { havePostgres } from './infra.js';

export interface TestServices extends Services {
  dataDir: string;
  testDb: TestDatabase;
  dispose(): Promise<void>;
}

/** Real services over a fresh database (Postgres when reachable, else PGlite) and a temporary data dir. */
/** `docker`: the client deckhand's runtime uses (e.g. through a call log); the default engine without it. */
export async function createTestServices(options: { apps: AppSpec[]; caddyAdminUrl?: string; clock?: Clock; env?: Record<string, string>; envLookup?: (name: string) => string | undefined; docker?: Docker }): Promise<TestServices> {
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-data-'));
  const testDb = await createTestDatabase((await havePostgres()) ? 'postgres' : 'pglite');
  const env = loadEnv({
    DATABASE_URL: testDb.url ?? '',
    DECKHAND_DATA_DIR: dataDir,
    DECKHAND_CADDY_ADMIN_URL: options.caddyAdminUrl ?? '',
    DECKHAND_PUBLIC_HOST: '127.0.0.1',
    DECKHAND_DRAIN: '300ms',
    // A suite that did not ask for Caddy stays in recreate mode: no detached Caddy is left behind by a test.
    DECKHAND_PROXY: 'none',
    ...options.env,
  });
  // PGlite is in-memory per test database: reuse the helper's connection instead of opening a second one.
  const services = await createServices({ env, apps: options.apps, clock: options.clock, envLookup: options.envLookup, database: testDb.url ? undefined : testDb, docker: options.docker });
  return {
    ...services,
    dataDir,
    testDb,
    dispose: async () => {
      services.managedProxy?.caddy.stop();
      if (testDb.url) await services.close();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A git app for tests. The watch window is off (0) unless a test asks for one, so suites that deploy do not wait 60 s. */
export function gitApp(name: string, url: string, port: number, overrides: Partial<AppSpec['run']> = {}): AppSpec {
  return {
    name,
    source: { kind: 'git', url, branch: 'main', dockerfile: 'Dockerfile' },
    run: { port, health: '/healthz', healthTimeoutMs: 4000, watchMs: 0, env: { GREETING: 'hi' }, ...overrides },
    migrations: { paths: ['migrations/'] },
  };
}
