import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import type { AppSpec } from '../../src/domain/apps.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { removeAppArtifacts, removeImageAndContainers } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { createAppDatabase } from '../helpers/migrations-db.js';
import { freePort } from '../helpers/ports.js';
import { type RegistryProcess, startRegistry } from '../helpers/registry.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

const V1 = { body: 'v1', files: { 'migrations/0001_init.sql': 'create table t (id int);' } };
const V2 = { body: 'v2', files: { 'migrations/0002_add_column.sql': 'alter table t add column c int;' } };

describe.skipIf(!enabled)('rollback of a git app through Caddy, with a registry and an app database', () => {
  const app = `it-rb-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let registry: RegistryProcess;
  let appDb: Awaited<ReturnType<typeof createAppDatabase>>;
  let services: TestServices;
  let spec: AppSpec;
  let port: number;
  let appDbUrl: string | undefined;
  const deploy = (ref: string) => services.deploys.deploy({ app, ref, actor: 'U-alice', trigger: 'cli' });

  beforeAll(async () => {
    repo = createTestRepo([V1, V2]);
    [caddy, registry, appDb] = await Promise.all([startCaddy(), startRegistry(), createAppDatabase()]);
    port = await freePort();
    spec = {
      ...gitApp(app, repo.url, port),
      registry: `${registry.host}/${app}`,
      migrations: { paths: ['migrations/'], database: { urlEnv: 'HELLO_RO_DATABASE_URL', table: '__drizzle_migrations' } },
    };
    services = await createTestServices({ apps: [spec], caddyAdminUrl: caddy.adminUrl, envLookup: (name) => (name === 'HELLO_RO_DATABASE_URL' ? (appDbUrl ?? appDb.url) : undefined) });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    await Promise.all([caddy?.stop(), registry?.stop(), appDb?.drop()]);
    repo?.cleanup();
  });

  let d1: Awaited<ReturnType<typeof deploy>>;
  let d2: Awaited<ReturnType<typeof deploy>>;

  it('plans the rollback: reuse, the migration added in v2, the migration applied in the database, env changes', async () => {
    d1 = await deploy(repo.commits[0]!);
    await appDb.applied('before-v1-deploy', new Date(d1.finishedAt!.getTime() - 60_000));
    d2 = await deploy(repo.commits[1]!);
    expect([d1.status, d2.status]).toEqual(['succeeded', 'succeeded']);
    expect(d2.registryRef).toBe(`${registry.host}/${app}:deploy-${d2.id}`);
    await appDb.applied('0002_add_column', new Date());
    spec.run.env.FEATURE_FLAG = 'on'; // the config changed since v1

    const plan = await services.rollbacks.plan(app, d1.id);
    expect(plan.artifact.source).toBe('reuse_image');
    expect(plan.schema.migrationFiles).toEqual(['migrations/0002_add_column.sql']);
    expect(plan.schema.appliedMigrations).toEqual([expect.stringMatching(/^drizzle migration 0002_add_column \(applied /)]);
    expect(plan.warnings[0]).toBe('Migrations have been applied since this deploy. Schema mismatch possible.');
    expect(plan.envChanges).toEqual({ added: ['FEATURE_FLAG'], removed: [], changed: [] });
    expect(plan.commit).toEqual({ present: true, reachable: true });
    expect(plan.notRestored).toEqual(['environment variables', 'secrets', 'database schema', 'volumes']);
    expect(plan.current?.id).toBe(d2.id);
    // Planning changed nothing.
    expect((await services.store.list(app, 10)).map((d) => d.id)).toEqual([d2.id, d1.id]);

    // An unreachable app database, or a URL variable that is not set, is a warning, never a failure.
    appDbUrl = 'postgres://postgres@127.0.0.1:1/nothing';
    expect((await services.rollbacks.plan(app, d1.id)).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^Could not check applied migrations in __drizzle_migrations: /)]));
    appDbUrl = undefined;
    spec.migrations.database = { urlEnv: 'UNSET_DATABASE_URL', table: '__drizzle_migrations' };
    expect((await services.rollbacks.plan(app, d1.id)).warnings).toContain("Could not check applied migrations: UNSET_DATABASE_URL is not set in deckhand's environment.");
    spec.migrations.database = { urlEnv: 'HELLO_RO_DATABASE_URL', table: '__drizzle_migrations' };

    const out: string[] = [];
    expect(await runCli(['plan-rollback', app, String(d1.id)], { io: { out: (t) => out.push(t), err: () => undefined }, services })).toBe(0);
    expect(out.join('\n')).toMatch(/migrations\/0002_add_column\.sql[\s\S]*FEATURE_FLAG \(added\)[\s\S]*not restored: environment variables, secrets, database schema, volumes/);
  });

  it('rolls back to v1 by reusing its image: a new row, zero failed requests, audit, and a lock', async () => {
    const targetBefore = await services.store.get(d1.id);
    const loop = requestLoop(port, { maxMs: 60_000 });
    const { deployment } = await services.rollbacks.rollback(app, d1.id, 'U-alice');
    await new Promise((r) => setTimeout(r, 300));
    const seen = await loop.stop();
    expect(deployment).toMatchObject({ status: 'succeeded', trigger: 'rollback', rollbackOf: d1.id, rollbackSource: 'reuse_image', imageId: d1.imageId, commitSha: d1.commitSha });
    expect(deployment.id).toBeGreaterThan(d2.id);
    expect(seen.failures).toEqual([]);
    expect(seen.bodies.get('v1')).toBeGreaterThan(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
    expect(await services.store.get(d1.id)).toEqual(targetBefore);

    const [entry] = await services.audit.list({ app, action: 'deploy.rollback' });
    expect(entry).toMatchObject({ actor: 'U-alice', result: 'ok', deploymentId: deployment.id, targetDeploymentId: d1.id });
    expect(entry?.details).toMatchObject({ from: d1.id, to: deployment.id, rollbackSource: 'reuse_image', image: d1.imageRef, warnings: expect.arrayContaining(['Migrations have been applied since this deploy. Schema mismatch possible.']) });
    expect(await services.locks.get(app)).toMatchObject({ reason: `rolled back from #${d2.id} by @U-alice`, lockedBy: 'U-alice' });
  });

  it('refuses forward deploys while locked, and runs them after unlock', async () => {
    await expect(deploy('main')).rejects.toMatchObject({ code: 'app_locked', message: expect.stringContaining(`rolled back from #${d2.id} by @U-alice`) });
    const err: string[] = [];
    expect(await runCli(['deploy', app], { io: { out: () => undefined, err: (t) => err.push(t) }, services })).toBe(1);
    expect(err).toEqual([expect.stringMatching(new RegExp(`^deckhand: app_locked: ${app} is locked by U-alice since .*: rolled back from #${d2.id} by @U-alice\. Unlock it, or deploy with --force\.$`))]);
    const io = { out: () => undefined, err: () => undefined };
    expect(await runCli(['lock', 'status', '--json'], { io: { ...io, out: (t: string) => expect(JSON.parse(t)[0]).toMatchObject({ app }) }, services })).toBe(0);
    expect(await runCli(['unlock', app], { io, services })).toBe(0);
    expect((await deploy('main')).status).toBe('succeeded');
    expect((await get(port)).body).toBe('v2');
  });

  it('pulls from the registry when the image is gone from the host', async () => {
    await removeImageAndContainers(d1.imageId!);
    const plan = await services.rollbacks.plan(app, d1.id);
    expect(plan.artifact.source).toBe('pull_image');
    const { deployment } = await services.rollbacks.rollback(app, d1.id, 'U-bob');
    expect(deployment).toMatchObject({ status: 'succeeded', rollbackSource: 'pull_image', imageId: d1.imageId });
    expect((await get(port)).body).toBe('v1');
  });
});

describe.skipIf(!enabled)('rollback without a registry, and its validation codes', () => {
  const app = `it-rbsrc-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;
  const deploy = (ref: string) => services.deploys.deploy({ app, ref, actor: 'U-carol', trigger: 'cli' });

  beforeAll(async () => {
    repo = createTestRepo([V1, V2, { body: 'v3', healthy: false }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 1500 })] });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('answers not_found, invalid_rollback_target, already_current and deploy_in_progress, writing no deployment', async () => {
    const d1 = await deploy(repo.commits[0]!);
    const d2 = await deploy(repo.commits[1]!);
    const d3 = await deploy(repo.commits[2]!);
    expect(d3.status).toBe('failed');
    const rows = await services.store.list(app, 50);
    await expect(services.rollbacks.rollback(app, 999_999, 'U-carol')).rejects.toMatchObject({ code: 'not_found' });
    await expect(services.rollbacks.rollback(app, d3.id, 'U-carol')).rejects.toMatchObject({ code: 'invalid_rollback_target', message: expect.stringContaining('it failed') });
    await expect(services.rollbacks.rollback(app, d2.id, 'U-carol')).rejects.toMatchObject({ code: 'already_current' });
    const held = await services.deploys.withAppLease(services.deploys.requireApp(app), { actor: 'U-other' }, () =>
      services.rollbacks.rollback(app, d1.id, 'U-carol').then(() => 'ran', (error) => error.code),
    );
    expect(held).toBe('deploy_in_progress');
    expect(await services.store.list(app, 50)).toEqual(rows);
    const refusals = await services.audit.list({ app, action: 'deploy.rollback' });
    expect(refusals.map((r) => r.details?.code)).toEqual(['deploy_in_progress', 'already_current', 'invalid_rollback_target', 'not_found']);
  });

  it('a rollback confirmed on facts that changed before it took the lease does not run (plan_changed)', async () => {
    const current = (await services.store.current(app))!;
    const shown = await services.rollbacks.plan(app, (await services.store.list(app, 50)).find((d) => d.status === 'succeeded' && d.id !== current.id)!.id);
    // Between the Confirm and the rollback, the app got locked: the plan under the lease differs from what was shown.
    await services.controls.lock(app, 'freeze for the incident', 'U-dave');
    try {
      const rows = await services.store.list(app, 50);
      await expect(services.rollbacks.rollback(app, shown.target.id, 'U-carol', undefined, shown.facts)).rejects.toMatchObject({ code: 'plan_changed', message: expect.stringContaining('Nothing was rolled back') });
      expect(await services.store.list(app, 50)).toEqual(rows);
    } finally {
      await services.controls.unlock(app, 'U-dave');
    }
  });

  it('rebuilds from source at the target commit when the image is gone, and the CLI targets the previous deploy by default', async () => {
    const [d1] = (await services.store.list(app, 50)).filter((d) => d.commitSha === repo.commits[0]);
    await removeImageAndContainers(d1!.imageId!);
    const lines: string[] = [];
    const code = await runCli(['rollback', app, '--yes'], { io: { out: (t) => lines.push(t), err: (t) => lines.push(t) }, services });
    expect(code).toBe(0);
    const [latest] = await services.store.list(app, 1);
    expect(latest).toMatchObject({ status: 'succeeded', rollbackOf: d1!.id, rollbackSource: 'rebuild_from_source', commitSha: repo.commits[0] });
    expect(lines.join('\n')).toContain(`(rebuild_from_source)`);
    expect((await get(port)).body).toBe('v1');
  });

  it('asks before rolling back and changes nothing when the answer is no or nobody can answer', async () => {
    const before = await services.store.list(app, 50);
    const io = { out: () => undefined, err: () => undefined };
    const target = before.find((d) => d.commitSha === repo.commits[1] && d.status === 'succeeded')!;
    expect(await runCli(['rollback', app, String(target.id)], { io, services, confirm: async () => false })).toBe(1);
    expect(await runCli(['rollback', app, String(target.id)], { io, services, confirm: async () => undefined })).toBe(2);
    expect(await services.store.list(app, 50)).toEqual(before);
  });

  it('deploy --force goes through the rollback lock, and says so in the audit', async () => {
    expect(await services.locks.get(app)).toBeDefined();
    const io = { out: () => undefined, err: () => undefined };
    expect(await runCli(['deploy', app, repo.commits[1]!, '--force', '--actor', 'U-erin'], { io, services })).toBe(0);
    expect((await get(port)).body).toBe('v2');
    const [forced] = await services.audit.list({ app, action: 'deploy.force' });
    expect(forced).toMatchObject({ actor: 'U-erin', details: { lock: expect.stringContaining('rolled back from') } });
  });
});

describe.skipIf(!enabled)('rollback of an image-only app whose image is gone everywhere', () => {
  const app = `it-rbimg-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'i1' }, { body: 'i2' }]);
    const { buildImageFromRepo } = await import('../helpers/docker.js');
    await buildImageFromRepo(repo.dir, repo.commits[0]!, `deckhand-test/${app}:one`, app);
    await buildImageFromRepo(repo.dir, repo.commits[1]!, `deckhand-test/${app}:two`, app);
    port = await freePort();
    services = await createTestServices({ apps: [{ ...gitApp(app, 'unused', port), source: { kind: 'image', image: `deckhand-test/${app}:one`, pull: 'missing' } }] });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('refuses with invalid_rollback_target, keeps v2 serving, and writes only the audit of the attempt', async () => {
    const first = await services.deploys.deploy({ app, actor: 'U-dan', trigger: 'cli' });
    const second = await services.deploys.deploy({ app, ref: 'two', actor: 'U-dan', trigger: 'cli' });
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    await removeImageAndContainers(first.imageId!);
    const rows = await services.store.list(app, 10);
    await expect(services.rollbacks.rollback(app, first.id, 'U-dan')).rejects.toMatchObject({
      code: 'invalid_rollback_target',
      message: expect.stringContaining('an image-only app has no source to rebuild from'),
    });
    expect(await services.store.list(app, 10)).toEqual(rows);
    expect(await services.locks.get(app)).toBeUndefined();
    expect((await get(port)).body).toBe('i2');
    const [audit] = await services.audit.list({ app, action: 'deploy.rollback' });
    expect(audit).toMatchObject({ result: 'refused', targetDeploymentId: first.id, details: { code: 'invalid_rollback_target' } });
  });
});
