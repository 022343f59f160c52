import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/adapters/git/git-source.js';
import { type GitSpy, installGitSpy } from '../helpers/git-spy.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { gitApp } from '../helpers/services.js';

/**
 * Before each fetch the mirror's origin is checked against the apps file. git is asked for it once per state of the
 * mirror's config file, not before every fetch; a URL changed in the apps file, or in the mirror by someone else,
 * is still put right before the next fetch. A real repository and mirror; every git process seen through a `git`
 * wrapper first on PATH.
 */
describe("the mirror's origin URL, checked before each fetch", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-remote-memo-'));
  let repo: TestRepo;
  let spy: GitSpy;
  let source: GitSource;
  const asked = () => spy.calls().filter((line) => line.startsWith('remote get-url')).length;
  const set = () => spy.calls().filter((line) => line.startsWith('remote set-url')).length;
  const fetches = () => spy.calls().filter((line) => line.startsWith('fetch')).length;
  const origin = (dir: string) => execFileSync('git', ['-C', dir, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).trim();

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    spy = installGitSpy();
    source = new GitSource(dataDir);
    await source.sync(gitApp('remote-memo', repo.url, 1)); // the clone
  });
  afterAll(() => {
    spy?.restore();
    repo?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is asked of git once while the config is unchanged; every sync still fetches', async () => {
    const app = gitApp('remote-memo', repo.url, 1);
    const [before, fetched] = [asked(), fetches()];
    for (let i = 0; i < 3; i += 1) await source.sync(app);
    expect(asked() - before).toBe(1);
    expect(fetches() - fetched).toBe(3);
    expect(set()).toBe(0);
  });

  it('a URL changed in the apps file is set before the next fetch', async () => {
    const moved = gitApp('remote-memo', repo.dir, 1); // the same repository by its path
    const dir = await source.sync(moved);
    expect(origin(dir)).toBe(repo.dir);
    expect(set()).toBe(1);
    const before = asked();
    await source.sync(moved);
    expect(asked()).toBe(before); // what it just wrote is known
  });

  it('a URL changed in the mirror by another process is put back before the next fetch', async () => {
    const app = gitApp('remote-memo', repo.dir, 1);
    const dir = source.mirrorPath(app);
    execFileSync('git', ['-C', dir, 'remote', 'set-url', 'origin', 'file:///nowhere/else']);
    const before = set();
    await source.sync(app);
    expect(set()).toBe(before + 1);
    expect(origin(dir)).toBe(repo.dir);
  });
});
