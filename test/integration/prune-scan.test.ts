import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/adapters/git/git-source.js';
import { type GitSpy, installGitSpy } from '../helpers/git-spy.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { buildImageFromRepo, removeAppArtifacts } from '../helpers/docker.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();
const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@x.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x.invalid' } }).trim();
/** The git subcommand of each logged invocation (a `-c` option may come first). */
const subcommands = (calls: string[]) => calls.map((c) => c.split(' ').find((word, i, all) => !word.startsWith('-') && all[i - 1] !== '-c')!);

describe('commit status of an app: one fetch and one query, whatever the number of commits', () => {
  let spy: GitSpy;
  let repo: TestRepo;
  let dataDir: string;
  let source: GitSource;
  const app = gitApp('c-scan-git', '', 1);

  beforeAll(() => {
    spy = installGitSpy();
    repo = createTestRepo(Array.from({ length: 50 }, (_, i) => ({ body: `c-scan ${i}` })));
    app.source = { ...app.source, url: repo.url } as typeof app.source;
    dataDir = mkdtempSync(join(tmpdir(), 'deckhand-c-scan-'));
    source = new GitSource(dataDir);
  });
  afterAll(() => {
    spy?.restore();
    repo?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const counted = async (shas: string[]) => {
    const before = spy.calls().length;
    const status = await source.commitsStatus(app, shas);
    return { status, calls: subcommands(spy.calls().slice(before)) };
  };

  it('50 commits cost the same git processes as 2: fetch, then cat-file and rev-list once each', async () => {
    await source.commitsStatus(app, repo.commits.slice(0, 1)); // clones the mirror
    await source.commitsStatus(app, repo.commits.slice(0, 1)); // fetches: the origin URL is checked once, then known
    const many = await counted(repo.commits);
    const few = await counted(repo.commits.slice(0, 2));
    expect([...many.calls].sort()).toEqual([...few.calls].sort());
    expect(many.calls.filter((c) => c === 'cat-file' || c === 'rev-list').sort()).toEqual(['cat-file', 'rev-list']);
    expect(many.calls.length).toBeLessThanOrEqual(4);
    expect([...many.status.values()].every((s) => s.present && s.reachable)).toBe(true);
    expect(many.status.size).toBe(50);
  });

  it('runs the rev-list walk beside cat-file: the walk is under way while cat-file still waits', async () => {
    const fresh = repo.commit({ body: 'c-scan side by side' }); // a new ref: nothing remembered, the mirror fetches
    const before = spy.calls().length;
    spy.hold();
    const asking = source.commitsStatus(app, [repo.commits[3]!, fresh]);
    try {
      const seen = async (what: () => boolean) => {
        for (let i = 0; i < 200 && !what(); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
        return what();
      };
      expect(await seen(() => spy.waiting())).toBe(true);
      expect(await seen(() => subcommands(spy.calls().slice(before)).includes('rev-list'))).toBe(true);
    } finally {
      spy.release();
    }
    const status = await asking;
    expect(Object.fromEntries(status)).toEqual({ [repo.commits[3]!]: { present: true, reachable: true }, [fresh]: { present: true, reachable: true } });
  });

  it('tells a missing commit, an invalid one, a dangling one and one reachable only by a tag apart', async () => {
    git(repo.dir, 'checkout', '-q', '-b', 'side');
    const dangling = repo.commit({ body: 'side 1' });
    const tagged = repo.commit({ body: 'side 2' });
    git(repo.dir, 'checkout', '-q', 'main');
    await source.commitsStatus(app, [dangling]); // the mirror fetches the side branch
    git(repo.dir, 'tag', 'v-side', tagged);
    git(repo.dir, 'branch', '-q', '-D', 'side');
    // `tagged` is reachable from the tag; `dangling` is its parent, so the tag reaches it too: make a truly dangling one.
    git(repo.dir, 'checkout', '-q', '-b', 'gone');
    const orphan = repo.commit({ body: 'gone 1' });
    git(repo.dir, 'checkout', '-q', 'main');
    await source.commitsStatus(app, [orphan]);
    git(repo.dir, 'branch', '-q', '-D', 'gone');
    const missing = 'f'.repeat(40);
    const { status, calls } = await counted([repo.commits[0]!, orphan, tagged, dangling, missing, 'not-a-sha', orphan]);
    expect(Object.fromEntries(status)).toEqual({
      [repo.commits[0]!]: { present: true, reachable: true },
      [orphan]: { present: true, reachable: false },
      [tagged]: { present: true, reachable: true },
      [dangling]: { present: true, reachable: true },
      [missing]: { present: false, reachable: false },
      'not-a-sha': { present: false, reachable: false },
    });
    expect(calls.filter((c) => c === 'cat-file' || c === 'rev-list').sort()).toEqual(['cat-file', 'rev-list']);
    // One commit alone answers the same (the single-commit form shares the query).
    expect(await source.commitStatus(app, orphan)).toEqual({ present: true, reachable: false });
  });
});

describe.skipIf(!enabled)('a prune scan holds no deploy lock', () => {
  const app = `c-scan-${process.pid}`;
  let spy: GitSpy;
  let repo: TestRepo;
  let services: TestServices;
  let oldImage: string;
  const ids: number[] = [];
  const onHost = async (id: string) => (await services.runtime.inspectImage(id)) !== undefined;

  beforeAll(async () => {
    spy = installGitSpy();
    repo = createTestRepo(Array.from({ length: 50 }, (_, i) => ({ body: `scan ${i}` })));
    services = await createTestServices({ apps: [{ ...gitApp(app, repo.url, await freePort()), retention: { keepLast: 3, keepDays: 0 } }] });
    // 50 successful deploys on record, one per commit. The oldest one's image is on the host (outside the policy:
    // a real run prunes it); the others' images were pruned long ago.
    oldImage = await buildImageFromRepo(repo.dir, repo.commits[0]!, `deckhand/${app}:c-scan-0`, app);
    for (const [i, sha] of repo.commits.entries()) {
      const imageId = i === 0 ? oldImage : `sha256:${'0'.repeat(40)}${String(i).padStart(24, '0')}`;
      const d = await services.store.create({ app, status: 'succeeded', source: 'git', trigger: 'cli', actor: 'U-c', gitRef: 'main', commitSha: sha, imageId });
      await services.store.update(d.id, { finishedAt: new Date(Date.now() - (50 - i) * 60_000) });
      ids.push(d.id);
    }
  }, 120_000);
  afterAll(async () => {
    spy?.release();
    spy?.restore();
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('a dry run over 50 deploys runs git a constant number of times (not once or twice per commit)', async () => {
    await services.prune.run({ app, dryRun: true, actor: 'U-c' }); // first run clones the mirror
    const before = spy.calls().length;
    const report = await services.prune.run({ app, dryRun: true, actor: 'U-c' });
    const calls = subcommands(spy.calls().slice(before));
    expect(calls.filter((c) => c === 'cat-file' || c === 'rev-list').sort()).toEqual(['cat-file', 'rev-list']);
    expect(calls.length).toBeLessThanOrEqual(4);
    expect(report.apps[0]!.failures).toEqual([]);
    expect(report.apps[0]!.window).toHaveLength(50);
    // Every commit is still in the mirror: a rollback to a deploy whose image is gone rebuilds.
    expect(report.apps[0]!.window.filter((w) => w.path === 'rebuild')).toHaveLength(49);
  });

  it('a deploy can take the app lease while a dry-run scan is inside its git query', async () => {
    spy.hold();
    const scan = services.prune.run({ app, dryRun: true, actor: 'U-c' });
    for (let i = 0; i < 400 && !spy.waiting(); i += 1) await new Promise((r) => setTimeout(r, 25));
    expect(spy.waiting()).toBe(true);
    const spec = services.deploys.requireApp(app);
    // What a deploy does first: take the app's lease. Held by the scan, this would throw deploy_in_progress.
    await expect(services.deploys.withAppLease(spec, { actor: 'U-deployer' }, async () => 'deploying')).resolves.toBe('deploying');
    spy.release();
    const report = await scan;
    expect(report.apps[0]!.skipped).toBeUndefined();
    expect(report.apps[0]!.decisions.map((d) => `${d.action}:${d.reasons.join('+')}`)).toEqual(['prune:outside_policy']);
    expect(await onHost(oldImage)).toBe(true);
  });

  it('a real run takes the lease only to remove: while a deploy holds it, the run skips the app and removes nothing', async () => {
    const spec = services.deploys.requireApp(app);
    const report = await services.deploys.withAppLease(spec, { actor: 'U-deployer' }, () => services.prune.run({ app, dryRun: false, actor: 'U-c' }));
    expect(report.apps[0]!.skipped).toMatch(/a deploy was running/);
    expect(report.apps[0]!.removedImages).toBe(0);
    expect(await onHost(oldImage)).toBe(true);
  });

  it('under the lease the plan is made again from fresh facts: a pin added during the scan saves the image', async () => {
    spy.hold();
    const run = services.prune.run({ app, dryRun: false, actor: 'U-c' });
    for (let i = 0; i < 400 && !spy.waiting(); i += 1) await new Promise((r) => setTimeout(r, 25));
    expect(spy.waiting()).toBe(true);
    await services.pins.pin({ app, deploymentId: ids[0]!, pinnedBy: 'U-ops', pinnedAt: new Date() });
    spy.release();
    const [r] = (await run).apps;
    expect(r!.failures).toEqual([]);
    expect(r!.decisions.map((d) => `${d.action}:${d.reasons.join('+')}`)).toEqual(['keep:pinned']);
    expect(r!.removedImages).toBe(0);
    expect(await onHost(oldImage)).toBe(true);
  });

  it('unpinned, a real run removes the image it planned to prune', async () => {
    await services.pins.unpin(app, ids[0]!);
    const [r] = (await services.prune.run({ app, dryRun: false, actor: 'U-c' })).apps;
    expect(r!.failures).toEqual([]);
    expect(r!.removedImages).toBe(1);
    expect(r!.bytesFreed).toBeGreaterThan(0);
    expect(await onHost(oldImage)).toBe(false);
    expect(r!.window.find((w) => w.deploymentId === ids[0])).toEqual({ deploymentId: ids[0], path: 'rebuild' });
  });
});
