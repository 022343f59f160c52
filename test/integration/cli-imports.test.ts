import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOOK = fileURLToPath(new URL('../helpers/import-log/register.mjs', import.meta.url));
const HEAVY = ['dockerode', '@electric-sql/pglite', '@slack/', 'drizzle-orm', 'postgres'];
/** deckhand's git adapter (it runs git itself: no package to see). */
const GIT = '/src/adapters/git/';
const loaded = (urls: string[], pkg: string) => urls.some((url) => url.includes(`/node_modules/${pkg}${pkg.endsWith('/') ? '' : '/'}`));

/**
 * The real CLI as a process, under an ESM loader hook that records every module it resolves: a command loads only
 * what it needs (the start-up cost of the CLI is its imports).
 */
describe.skipIf(!(await havePostgres()))('the CLI imports only what its command needs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'e-cli-imports-'));
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    db = await createScratchDatabase('e_cli_imports');
    writeFileSync(join(dir, 'deckhand.yml'), 'apps:\n  e-imports:\n    source: { image: "example/web:1" }\n    run: { port: 18081 }\n');
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  let runs = 0;
  const run = (...args: string[]) => {
    const log = join(dir, `imports-${++runs}.log`);
    writeFileSync(log, '');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', HOOK, 'src/main-cli.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir, DECKHAND_IMPORT_LOG: log, DATABASE_URL: db.url, DECKHAND_CONFIG: join(dir, 'deckhand.yml'), DECKHAND_DATA_DIR: join(dir, 'data'), DECKHAND_PROXY: 'none' },
    });
    return { ...result, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  };

  it('help loads none of the heavy packages, nor the database or compose modules', () => {
    const help = run('help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('deckhand <command>');
    // The hook saw the CLI itself: an empty log cannot pass for a lean one.
    expect(help.urls.some((url) => url.endsWith('/src/cli.ts'))).toBe(true);
    expect(HEAVY.filter((pkg) => loaded(help.urls, pkg))).toEqual([]);
    expect(help.urls.filter((url) => /\/src\/(compose|adapters\/|cli\/commands\/)/.test(url))).toEqual([]);
  });

  it('deploys reads the store (postgres, drizzle) without Docker, git or Slack', () => {
    const deploys = run('deploys', 'e-imports', '--json');
    expect(deploys.stderr).toBe('');
    expect(deploys.status).toBe(0);
    expect(JSON.parse(deploys.stdout)).toEqual([]);
    expect(loaded(deploys.urls, 'postgres') && loaded(deploys.urls, 'drizzle-orm')).toBe(true);
    expect(['dockerode', '@slack/', '@electric-sql/pglite'].filter((pkg) => loaded(deploys.urls, pkg))).toEqual([]);
    expect(deploys.urls.filter((url) => url.includes(GIT))).toEqual([]);
    expect(deploys.urls.filter((url) => url.endsWith('/src/compose.ts'))).toEqual([]);
  });

  it('a command that runs containers does load Docker and git (the hook sees heavy packages when they load)', () => {
    const plan = run('plan-rollback', 'e-imports', '999');
    expect(plan.stderr.trim()).toBe('deckhand: not_found: There is no deploy #999 of e-imports.');
    expect(plan.status).toBe(1);
    expect(loaded(plan.urls, 'dockerode') && plan.urls.some((url) => url.includes(GIT))).toBe(true);
    expect(loaded(plan.urls, '@slack/')).toBe(false);
  });
});
