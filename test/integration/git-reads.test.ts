import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/adapters/git/git-source.js';
import { type GitSpy, installGitSpy } from '../helpers/git-spy.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { gitApp } from '../helpers/services.js';

const waitFor = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

/**
 * The mirror's reads on a real repository, every git process seen through a `git` wrapper first on PATH: a plan's
 * reads run side by side (a fetch waits for them), and what two full SHAs fix is asked of git once.
 */
describe('git reads of the mirror: side by side, and asked once', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-git-reads-'));
  let repo: TestRepo;
  let spy: GitSpy;
  let source: GitSource;
  let app: ReturnType<typeof gitApp>;
  const calls = (verb: string) => spy.calls().filter((line) => line.split(' ')[0] === verb);

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1', files: { 'migrations/0001.sql': 'create table t (id int);' } }, { body: 'v2', files: { 'migrations/0002.sql': 'alter table t add c int;' } }]);
    app = gitApp('git-reads', repo.url, 1);
    spy = installGitSpy();
    source = new GitSource(dataDir);
    await source.commitsStatus(app, repo.commits, { fetch: 'always' });
  });

  afterAll(() => {
    spy?.release();
    spy?.restore();
    repo?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a diff, a comparison and a summary between full SHAs run git once; each caller gets its own copy', async () => {
    const [v1, v2] = repo.commits as [string, string];
    const before = { diff: calls('diff').length, log: calls('log').length, revList: calls('rev-list').length };
    const ask = () => Promise.all([source.changedPaths(app, v1, v2, ['migrations/']), source.compareCommits(app, v1, v2, 10), source.commitSummary(app, v2)]);
    const first = await ask();
    expect(first[0]).toEqual(['migrations/0002.sql']);
    expect(first[1].ahead.total).toBe(1);
    first[0].push('changed by a caller');
    first[1].ahead.commits.length = 0;
    const again = await ask();
    expect(again[0]).toEqual(['migrations/0002.sql']);
    expect(again[1].ahead.commits.map((c) => c.sha)).toEqual([v2]);
    expect(again[2]).toEqual(first[2]);
    // One diff and two logs (the comparison, the summary) for both rounds.
    expect(calls('diff').length - before.diff).toBe(1);
    expect(calls('rev-list').length - before.revList).toBe(0);
    expect(calls('log').length - before.log).toBe(2);
  });

  it('a comparison is one git process: both commits, and each side\'s commits with their count', async () => {
    const [v1, v2] = repo.commits as [string, string];
    const before = spy.calls().length;
    const forward = await source.compareCommits(app, v1, v2, 3); // not the limit asked above: not remembered yet
    expect(spy.calls().length - before).toBe(1);
    expect(forward.from).toMatchObject({ sha: v1, subject: 'release v1' });
    expect(forward.to).toMatchObject({ sha: v2, subject: 'release v2' });
    expect(forward.ahead).toEqual({ commits: [forward.to], total: 1 });
    expect(forward.behind).toEqual({ commits: [], total: 0 });
    const back = await source.compareCommits(app, v2, v1, 3);
    expect(back).toEqual({ from: forward.to, to: forward.from, ahead: { commits: [], total: 0 }, behind: { commits: [forward.to], total: 1 } });
  });

  it('a read that failed is asked again (a missing commit is never remembered as an answer)', async () => {
    const missing = 'f'.repeat(40);
    const before = calls('log').length;
    await expect(source.commitSummary(app, missing)).rejects.toThrow(/git could not read fffffff/);
    await expect(source.commitSummary(app, missing)).rejects.toThrow(/git could not read fffffff/);
    expect(calls('log').length - before).toBe(2);
  });

  it('reads share the mirror: a diff answers while a commit-status read is held; a fetch waits for that read', async () => {
    const [v1, v2] = repo.commits as [string, string];
    spy.hold();
    const status = source.commitsStatus(app, [v1], { fetch: 'never' });
    await waitFor(() => spy.waiting(), 'the held cat-file');
    // Another read runs beside the held one (a new pair of SHAs, so git is asked: nothing was added from v2 to v1).
    const diffs = calls('diff').length;
    expect(await source.changedPaths(app, v2, v1, ['migrations/'])).toEqual([]);
    expect(calls('diff').length).toBe(diffs + 1);
    const fetchesBefore = calls('fetch').length;
    let fetched = false;
    const refreshed = source.commitsStatus(app, [v2], { fetch: 'always' }).then((answer) => {
      fetched = true;
      return answer;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fetched).toBe(false);
    expect(calls('fetch').length).toBe(fetchesBefore);
    spy.release();
    expect((await status).get(v1)).toEqual({ present: true, reachable: true });
    expect((await refreshed).get(v2)).toEqual({ present: true, reachable: true });
    expect(calls('fetch').length).toBe(fetchesBefore + 1);
  });
});
