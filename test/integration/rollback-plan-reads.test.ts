import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/deployment.js';
import { type DockerCallLog, startDockerCallLog } from '../helpers/docker-call-log.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type GitSpy, installGitSpy } from '../helpers/git-spy.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { until } from '../helpers/until.js';

const enabled = (await haveDocker()) && (await havePostgres());
const IMAGE_INSPECT = /^GET \/images\/[^/]+\/json$/;

/**
 * A rollback plan reads deckhand's git mirror beside Docker's image lookup, not after it: the mirror's answers do
 * not depend on it unless something must be fetched. Docker's answer is held back on the real engine's socket; the
 * plan's git reads (a `git` wrapper first on PATH logs each) run meanwhile, and the plan is made once it is released.
 * Real engine, git repository and Postgres.
 */
describe.skipIf(!enabled)('rollback plan: the mirror is read beside the image lookup', () => {
  const app = `i-planreads-${process.pid}`;
  let repo: TestRepo;
  let log: DockerCallLog;
  let services: TestServices;
  let spy: GitSpy | undefined;
  let d1: Deployment;

  beforeAll(async () => {
    repo = createTestRepo([
      { body: 'v1', files: { 'migrations/0001_init.sql': 'create table t (id int);' } },
      { body: 'v2', files: { 'migrations/0002_more.sql': 'alter table t add c int;' } },
    ]);
    log = await startDockerCallLog();
    services = await createTestServices({ apps: [gitApp(app, repo.url, await freePort())], docker: log.docker, env: { DECKHAND_DRAIN: '0s' } });
    d1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    const d2 = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
    expect([d1.status, d2.status]).toEqual(['succeeded', 'succeeded']);
    spy = installGitSpy();
  }, 60_000);
  afterAll(async () => {
    log?.holdRequests(undefined);
    spy?.restore();
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    await log?.stop();
    repo?.cleanup();
  }, 60_000);

  it('reuse: git reads the mirror while Docker has not answered; nothing is fetched; the plan is the same', async () => {
    const before = spy!.calls().length;
    log.holdRequests(IMAGE_INSPECT);
    const plan = services.rollbacks.plan(app, d1.id);
    try {
      await until('the image lookup held and git reading the mirror', () => log.heldCount() > 0 && spy!.calls().length > before, 5000, 10);
    } finally {
      log.holdRequests(undefined);
    }
    const made = await plan;
    const calls = spy!.calls().slice(before);
    expect(calls.some((argv) => /\bfetch\b|\bclone\b/.test(argv))).toBe(false);
    expect(made.artifact.source).toBe('reuse_image');
    expect(made.commit).toEqual({ present: true, reachable: true });
    expect(made.schema.migrationFiles).toEqual(['migrations/0002_more.sql']);
    expect(made.warnings[0]).toMatch(/Migrations have been applied since this deploy/);
    expect(made.changes?.direction).toBe('back');
  }, 30_000);

  it('image gone, commit mirrored: a rebuild from the mirror, still without a fetch', async () => {
    const before = spy!.calls().length;
    for (const c of await docker().listContainers({ all: true, filters: { ancestor: [d1.imageId!] } })) await docker().getContainer(c.Id).remove({ force: true });
    await docker().getImage(d1.imageId!).remove({ force: true });
    const made = await services.rollbacks.plan(app, d1.id);
    expect(made.artifact.source).toBe('rebuild_from_source');
    expect(spy!.calls().slice(before).some((argv) => /\bfetch\b|\bclone\b/.test(argv))).toBe(false);
    expect(made.schema.migrationFiles).toEqual(['migrations/0002_more.sql']);
  }, 30_000);
});
