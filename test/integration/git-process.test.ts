import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GitSource } from '../../src/adapters/git/git-source.js';
import { gitLines, gitText } from '../../src/adapters/git/git-process.js';
import { type GitSpy, installGitSpy } from '../helpers/git-spy.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { gitApp } from '../helpers/services.js';

// Captured before any test fakes the clock: a guard against a hang that no fake timer can hold back.
const realSetTimeout = globalThis.setTimeout;
const settlesWithin = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => realSetTimeout(() => reject(new Error(`${what} did not settle while no timer ran`)), ms))]);

/**
 * git as deckhand runs it (argv only, its own process handling): a real repository and mirror. An answer with no
 * output (an empty range, no changed path, a fetch with nothing new) is as quick as any: nothing waits on a timer
 * once git is gone. simple-git, used before, held every silent answer 50 ms more, which every rollback plan paid
 * (one of its two commit ranges is always empty).
 */
describe('git processes: settled when git is gone, stopped at their deadline', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-git-process-'));
  let repo: TestRepo;
  let source: GitSource;
  let app: ReturnType<typeof gitApp>;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1', files: { 'migrations/0001.sql': 'create table t (id int);' } }, { body: 'v2' }]);
    app = gitApp('git-process', repo.url, 1);
    source = new GitSource(dataDir);
    await source.commitsStatus(app, repo.commits, { fetch: 'always' });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(() => {
    repo?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers with no output settle while the clock is stopped: no changed path, a fetch with nothing new', async () => {
    const [v1, v2] = repo.commits as [string, string];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    // v2 changed no migration: the diff prints nothing.
    expect(await settlesWithin(source.changedPaths(app, v1, v2, ['migrations/']), 20_000, 'a diff with no path')).toEqual([]);
    const status = await settlesWithin(source.commitsStatus(app, [v1], { fetch: 'always' }), 20_000, 'a fetch with nothing new');
    expect(status.get(v1)).toEqual({ present: true, reachable: true });
    // And an answer with output still reads whole.
    expect(await settlesWithin(source.compareCommits(app, v1, v2, 10), 20_000, 'a comparison')).toMatchObject({ ahead: { total: 1, commits: [{ sha: v2, subject: 'release v2' }] } });
  });

  it('what git says on failure is the error; its output is read whole and by line', async () => {
    const run = { cwd: source.mirrorPath(app), env: { PATH: process.env.PATH ?? '' }, timeoutMs: 10_000 };
    await expect(gitText(run, ['rev-parse', '--verify', '--end-of-options', 'no-such-ref^{commit}'])).rejects.toThrow(/Needed a single revision/);
    const all = (await gitText(run, ['rev-list', '--all'])).trim().split('\n');
    expect(new Set(all)).toEqual(new Set(repo.commits));
    const seen: string[] = [];
    await gitLines(run, ['rev-list', '--all'], undefined, (line) => {
      seen.push(line);
      return true; // the first line is enough: git is stopped, and that is no failure
    });
    expect(seen).toHaveLength(1);
  });

  it('a git process past its deadline is killed and the read fails with why', async () => {
    let spy: GitSpy | undefined;
    try {
      spy = installGitSpy();
      spy.hold(); // the spy's `git cat-file` waits until released (up to 20 s)
      const run = { cwd: source.mirrorPath(app), env: { PATH: process.env.PATH ?? '' }, timeoutMs: 300 };
      await expect(gitText(run, ['cat-file', '--batch-check'], `${repo.commits[0]}\n`)).rejects.toThrow(/did not finish within 300 ms/);
      expect(spy.waiting()).toBe(true);
    } finally {
      spy?.release();
      spy?.restore();
    }
  });
});
