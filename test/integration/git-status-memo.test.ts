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
 * A commit's status (present in the mirror, reached by a branch or tag) changes only when the mirror's refs do: the
 * bot's plans of the same rollback ask git once between fetches, and a fetch that moves a branch is seen at once.
 * A real repository and mirror; every git process seen through a `git` wrapper first on PATH.
 */
describe('commit status between fetches: asked of git once, asked again after a fetch', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-status-memo-'));
  let repo: TestRepo;
  let spy: GitSpy;
  let source: GitSource;
  let app: ReturnType<typeof gitApp>;
  const statusCalls = () => spy.calls().filter((line) => /^(cat-file|rev-list --branches)/.test(line)).length;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }]);
    app = gitApp('status-memo', repo.url, 1);
    spy = installGitSpy();
    source = new GitSource(dataDir);
    await source.commitsStatus(app, repo.commits, { fetch: 'always' });
  });
  afterAll(() => {
    spy?.restore();
    repo?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the same question with no fetch between is answered without git, each caller with its own copy', async () => {
    const [, , v3] = repo.commits as [string, string, string];
    const first = await source.commitsStatus(app, [v3], { fetch: 'never' });
    const asked = statusCalls();
    first.get(v3)!.reachable = false; // a caller changing its answer changes no one else's
    const again = await source.commitsStatus(app, [v3], { fetch: 'never' });
    expect(statusCalls()).toBe(asked);
    expect(again.get(v3)).toEqual({ present: true, reachable: true });
  });

  it('a fetch that moves the branch away is seen at once: the commit is still present but no longer reachable', async () => {
    const [, v2, v3] = repo.commits as [string, string, string];
    expect((await source.commitsStatus(app, [v3], { fetch: 'never' })).get(v3)).toEqual({ present: true, reachable: true });
    execFileSync('git', ['reset', '-q', '--hard', v2], { cwd: repo.dir }); // a force-push that drops v3
    const fetched = await source.commitsStatus(app, [v3], { fetch: 'always' });
    expect(fetched.get(v3)).toEqual({ present: true, reachable: false });
    const asked = statusCalls();
    expect((await source.commitsStatus(app, [v3], { fetch: 'never' })).get(v3)).toEqual({ present: true, reachable: false });
    expect(statusCalls()).toBe(asked);
  });

  it('an answer git could not give (git missing from PATH) is not remembered', async () => {
    const [v1] = repo.commits as [string];
    const path = process.env.PATH;
    process.env.PATH = join(dataDir, 'no-git-here');
    let blind: Map<string, { present: boolean; reachable: boolean }>;
    try {
      blind = await source.commitsStatus(app, [v1], { fetch: 'never' });
    } finally {
      process.env.PATH = path;
    }
    expect(blind.get(v1)).toEqual({ present: false, reachable: false }); // what it could not confirm: absent, never more
    const asked = statusCalls();
    expect((await source.commitsStatus(app, [v1], { fetch: 'never' })).get(v1)).toEqual({ present: true, reachable: true });
    expect(statusCalls()).toBeGreaterThan(asked);
  });
});
