import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrizzleApprovalStore } from '../../src/adapters/db/approvals-repo.js';
import { runCli } from '../../src/cli.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { docker, removeAppArtifacts, removeImageAndContainers } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

describe.skipIf(!enabled)('deckhand status and deckhand audit on real Docker, git and Postgres', () => {
  const app = `f-status-cli-${process.pid}`;
  const quiet = `f-status-quiet-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  const deploys: Deployment[] = [];
  let queued: Deployment;
  let appPort: number;

  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, services, confirm: async () => false });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'one' }, { body: 'two' }, { body: 'three', healthy: false }]);
    appPort = await freePort();
    services = await createTestServices({
      apps: [
        { ...gitApp(app, repo.url, appPort, { healthTimeoutMs: 1500 }), retention: { keepLast: 5, keepDays: 0 } },
        gitApp(quiet, repo.url, await freePort()),
      ],
    });
    for (const sha of repo.commits) deploys.push(await services.deploys.deploy({ app, ref: sha, actor: sha === repo.commits[0] ? 'cli:ops' : 'U1ANA', trigger: 'cli' }));
    expect(deploys.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'failed']);
    await services.controls.lock(app, 'rolling back bad migration', 'U1ANA');
    // A deploy waiting for approval: queued, with its pending approval, as an approval-gated /deploy leaves it.
    queued = await services.store.create({ app, status: 'queued', source: 'git', trigger: 'slack', actor: 'U2BOB', gitRef: 'main', commitSha: repo.commits[1]!, commitSubject: 'release two' });
    await new DrizzleApprovalStore(services.database.db).create({ app, kind: 'deploy', deploymentId: queued.id, targetId: null, baselineId: deploys[1]!.id, requestedBy: 'U2BOB', channel: 'C1', expiresAt: new Date(Date.now() + 1_800_000) });
  }, 120_000);

  afterAll(async () => {
    await removeAppArtifacts([app, quiet]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('--json says what serves, that it answers its health check now, the lock, the work waiting, the last failure and the window', async () => {
    const { code, out } = await cli('status', app, '--json');
    expect(code).toBe(0);
    const s = JSON.parse(out);
    expect(s.serving).toMatchObject({ id: deploys[1]!.id, commit: repo.commits[1], actor: 'U1ANA', status: 'succeeded' });
    expect(s.health.state).toBe('healthy');
    expect(s.health.probes[0]).toMatchObject({ where: 'public', ok: true, detail: 'HTTP 200' });
    expect(s.health.container).toMatchObject({ running: true, status: 'running' });
    expect(s.lock).toMatchObject({ reason: 'rolling back bad migration', lockedBy: 'U1ANA' });
    expect(s.inProgress.map((d: { id: number }) => d.id)).toEqual([queued.id]);
    expect(s.pendingApprovals).toEqual([expect.objectContaining({ kind: 'deploy', deploymentId: queued.id, requestedBy: 'U2BOB' })]);
    expect(s.lastFailure).toMatchObject({ id: deploys[2]!.id, errorCode: 'health_check_failed' });
    expect(s.window).toEqual([
      { deploymentId: deploys[1]!.id, path: 'running' },
      { deploymentId: deploys[0]!.id, path: 'instant' },
    ].sort((a, b) => b.deploymentId - a.deploymentId));
  });

  it('the text form reads as an operator would say it', async () => {
    const { code, out } = await cli('status', app);
    expect(code).toBe(0);
    expect(out).toContain(`${app}: healthy`);
    expect(out).toMatch(new RegExp(`serving: +#${deploys[1]!.id} ${repo.commits[1]!.slice(0, 7)} release two \\(by U1ANA, since .* UTC, .* ago\\)`));
    expect(out).toContain(`locked by U1ANA since`);
    expect(out).toContain(`"deckhand unlock ${app}" when ready`);
    expect(out).toMatch(new RegExp(`last failure: #${deploys[2]!.id} .*\\(health_check_failed\\)`));
    expect(out).toContain(`rollback window: #${deploys[1]!.id} running; #${deploys[0]!.id} instant (image on host)`);
  });

  it('without an app: one line per app', async () => {
    const { code, out } = await cli('status');
    const lines = out.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${app}: healthy \\| #${deploys[1]!.id} .* \\| locked by U1ANA \\| 1 in progress \\| 1 waiting for approval \\| #${deploys[2]!.id} failed$`));
    expect(lines[1]).toBe(`${quiet}: down | never deployed`);
    expect(code).toBe(1);
  });

  it('a rollback target whose image is gone shows as a rebuild in the window', async () => {
    await removeImageAndContainers(deploys[0]!.imageId!);
    const s = JSON.parse((await cli('status', app, '--json')).out);
    expect(s.window).toContainEqual({ deploymentId: deploys[0]!.id, path: 'rebuild' });
  });

  it('a serving container that stopped is reported down, with its state, and the exit code says so', async () => {
    const container = (await services.runtime.listContainers(app)).find((c) => c.deploymentId === deploys[1]!.id)!;
    await docker().getContainer(container.id).stop({ t: 1 });
    try {
      const { code, out } = await cli('status', app, '--json');
      expect(code).toBe(1);
      const s = JSON.parse(out);
      expect(s.health.state).toBe('down');
      expect(s.health.probes[0].ok).toBe(false);
      expect(s.health.container).toMatchObject({ running: false, status: 'exited' });
      expect(s.health.note).toContain(`The container of #${deploys[1]!.id} is exited`);
    } finally {
      await docker().getContainer(container.id).start();
    }
  });

  it('a serving container that runs but fails its health check is reported unhealthy, not down', async () => {
    // The container the previous test started again answers before its health file goes.
    await expect.poll(() => get(appPort, '/healthz').then((r) => r.status, () => 0), { timeout: 10_000 }).toBe(200);
    const container = (await services.runtime.listContainers(app)).find((c) => c.deploymentId === deploys[1]!.id)!;
    const exec = await docker().getContainer(container.id).exec({ Cmd: ['/bin/busybox', 'rm', '/www/healthz'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    await new Promise((resolve) => {
      stream.on('end', resolve);
      stream.resume();
    });
    const { code, out } = await cli('status', app, '--json');
    expect(code).toBe(1);
    const s = JSON.parse(out);
    expect(s.health.state).toBe('unhealthy');
    expect(s.health.probes[0]).toMatchObject({ where: 'public', ok: false, detail: 'HTTP 404' });
    expect(s.health.container).toMatchObject({ running: true, status: 'running' });
  });

  it('audit lists the trail newest first, as JSON or a table, limited', async () => {
    const json = await cli('audit', app, '--limit', '2', '--json');
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.out);
    expect(rows).toHaveLength(2);
    expect(rows[0].id).toBeGreaterThan(rows[1].id);
    expect(rows.map((r: { action: string }) => r.action)).toContain('app.lock');
    expect(rows.find((r: { action: string }) => r.action === 'app.lock')).toMatchObject({ actor: 'U1ANA', app, result: 'ok', details: { reason: 'rolling back bad migration' } });
    const table = await cli('audit', app);
    expect(table.out.split('\n')[0]).toMatch(/^ID +AT \(UTC\) +ACTOR +ACTION +APP +DEPLOY +RESULT +DETAILS$/);
    expect(table.out).toMatch(/deploy\.(start|result|succeeded|failed)|app\.lock/);
  });

  it('bad input is refused with a sentence and changes nothing', async () => {
    const before = (await services.audit.list({ limit: 1000 })).length;
    const unknown = await cli('status', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^deckhand: unknown_app: Unknown app "nope"\. Known apps: /);
    const limit = await cli('audit', '--limit', '0');
    expect(limit.code).toBe(2);
    expect(limit.err).toContain('--limit must be a whole number from 1 to 1000');
    expect((await cli('status', app, 'extra')).code).toBe(2);
    expect((await services.audit.list({ limit: 1000 })).length).toBe(before);
  });
});
