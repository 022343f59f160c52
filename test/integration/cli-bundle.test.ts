import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../helpers/db.js';
import { buildImageFromRepo, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The CLI as it ships: `bin/deckhand.js`, which runs the esbuild bundle (scripts/bundle-cli.mjs), rebuilt here from
 * the sources under test. A real deploy, deploy and rollback on Postgres, and the embedded store opened, created and
 * migrated from the bundle's chunks (PGlite stays in node_modules; the migrations are found by walking up).
 */
describe.skipIf(!((await haveDocker()) && (await havePostgres())))('the shipped CLI bundle', () => {
  const app = `it-bundle-${process.pid}`;
  const image = `deckhand-test/${app}`;
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-bundle-'));
  let repo: TestRepo;
  let port: number;
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    const bundled = spawnSync(process.execPath, ['scripts/bundle-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(bundled.stderr).toBe('');
    expect(bundled.status).toBe(0);
    repo = createTestRepo([{ body: 'bundle-one' }, { body: 'bundle-two' }]);
    await buildImageFromRepo(repo.dir, repo.commits[0]!, `${image}:one`, app);
    await buildImageFromRepo(repo.dir, repo.commits[1]!, `${image}:two`, app);
    port = await freePort();
    writeFileSync(join(dir, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { image: "${image}:one" }\n    run: { port: ${port}, watch: 0 }\n`);
    db = await createScratchDatabase('e_cli_bundle');
  });
  afterAll(async () => {
    await removeAppArtifacts([app]);
    await db?.drop();
    repo?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['bin/deckhand.js', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
      env: { PATH: process.env.PATH, HOME: dir, DECKHAND_CONFIG: join(dir, 'deckhand.yml'), DECKHAND_DATA_DIR: join(dir, 'data'), DECKHAND_PROXY: 'none', DECKHAND_DRAIN: '0', ...extra },
    });

  it('deploys, deploys again and rolls back on Postgres, each version answering', async () => {
    const pg = { DATABASE_URL: db.url };
    const first = run(['deploy', app, '--json'], pg);
    expect(first.status, first.stderr).toBe(0);
    const one = JSON.parse(first.stdout) as { id: number; status: string };
    expect(one.status).toBe('succeeded');
    expect((await get(port)).body).toBe('bundle-one');

    const second = run(['deploy', app, 'two'], pg);
    expect(second.status, second.stderr).toBe(0);
    expect((await get(port)).body).toBe('bundle-two');

    const back = run(['rollback', app, String(one.id), '--yes'], pg);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/reus/i);
    expect((await get(port)).body).toBe('bundle-one');

    const listed = run(['deploys', app, '--json'], pg);
    expect((JSON.parse(listed.stdout) as { status: string }[]).map((row) => row.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  }, 300_000);

  it('creates and migrates the embedded store from the bundle', () => {
    const listed = run(['deploys', app, '--json']);
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  }, 300_000);
});
