import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppSpec } from '../../src/domain/apps.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { answered, get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

const TOKEN = 'p14-env-secret-3f9a1c77e2d4';
const FILE_SECRET = 'p14-file-secret-b81d0e55aa90';

/** A worker that reads its version from its own image, prints its secrets (deckhand must redact them) and appends to the volume. */
const worker = (version: string) => `echo "worker of ${version} token=$API_TOKEN file=$FILE_SECRET"
echo "${version} mode=$WORKER_MODE" >> /data/worker.log
exec /bin/busybox sleep 100000
`;
const crashingWorker = `echo "worker of v3 token=$API_TOKEN, giving up"
exit 3
`;

describe.skipIf(!enabled)('real apps: secrets from env and files, a named volume and a worker process, one release for all', () => {
  const app = `p14-${process.pid}`;
  const volume = `p14data-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;
  let secretDir: string;
  const events: DeployEvent[] = [];

  beforeAll(async () => {
    repo = createTestRepo([
      { body: 'v1', files: { 'www/worker.sh': worker('v1') } },
      { body: 'v2', files: { 'www/worker.sh': worker('v2') } },
      { body: 'v3', files: { 'www/worker.sh': crashingWorker } },
      { body: 'v4', healthy: false, files: { 'www/worker.sh': worker('v4') } },
    ]);
    secretDir = mkdtempSync(join(tmpdir(), 'p14-secret-'));
    writeFileSync(join(secretDir, 'file-secret'), `${FILE_SECRET}\n`);
    port = await freePort();
    const base = gitApp(app, repo.url, port);
    const spec: AppSpec = {
      ...base,
      run: {
        ...base.run,
        env: { GREETING: 'hi', WORKER_MODE: 'web' },
        secretEnv: { API_TOKEN: { fromEnv: 'P14_API_TOKEN' }, FILE_SECRET: { fromFile: join(secretDir, 'file-secret') } },
        container: { volumes: [`${volume}:/data`] },
        stopTimeoutMs: 2000,
      },
      processes: [{ name: 'worker', command: ['/bin/busybox', 'sh', '/www/worker.sh'], replicas: 2, env: { WORKER_MODE: 'jobs' }, secretEnv: {}, healthyAfterMs: 1500 }],
      retention: { keepLast: 1, keepDays: 0 },
    };
    const broken: AppSpec = { ...gitApp(`${app}-nosecret`, repo.url, await freePort()), run: { ...base.run, port: await freePort(), secretEnv: { DB_PASSWORD: { fromEnv: 'P14_NOT_SET_ANYWHERE' } } } };
    services = await createTestServices({ apps: [spec, broken], envLookup: (name) => (name === 'P14_API_TOKEN' ? TOKEN : process.env[name]) });
    services.bus.subscribe((event) => events.push(event));
  });

  afterAll(async () => {
    await removeAppArtifacts([app, `${app}-nosecret`]);
    await docker().getVolume(volume).remove().catch(() => undefined);
    await services?.dispose();
    repo?.cleanup();
    rmSync(secretDir, { recursive: true, force: true });
  });

  const containersOf = async (deploymentId: number) =>
    (await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${app}`, `deckhand.deployment=${deploymentId}`] } })).sort((a, b) => a.Names[0]!.localeCompare(b.Names[0]!));
  const workerLog = async () => {
    const info = await docker().getVolume(volume).inspect();
    return readFileSync(join(info.Mountpoint, 'worker.log'), 'utf8').trim().split('\n');
  };

  it('a missing fromEnv variable fails the deploy before any container starts, naming the key and the variable', async () => {
    const deployment = await services.deploys.deploy({ app: `${app}-nosecret`, actor: 'U-ops', trigger: 'cli' });
    expect(deployment.status).toBe('failed');
    expect(deployment.errorCode).toBe('secret_unavailable');
    expect(deployment.error).toContain('run.env.DB_PASSWORD');
    expect(deployment.error).toContain('P14_NOT_SET_ANYWHERE');
    expect(await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${app}-nosecret`] } })).toEqual([]);
    // Nothing was built either: the secret is read first.
    expect(await docker().listImages({ filters: { label: [`deckhand.app=${app}-nosecret`] } })).toEqual([]);
  }, 60_000);

  it('v1 and v2 deploy web + 2 workers; each worker runs its release image with the merged env and appends to the volume', async () => {
    const d1 = await services.deploys.deploy({ app, ref: repo.commits[0], actor: 'U-ops', trigger: 'cli' });
    expect(d1, d1.error ?? '').toMatchObject({ status: 'succeeded' });
    const d2 = await services.deploys.deploy({ app, ref: repo.commits[1], actor: 'U-ops', trigger: 'cli' });
    expect(d2, d2.error ?? '').toMatchObject({ status: 'succeeded' });
    expect((await get(port)).body).toBe('v2');

    for (const [deployment, running] of [[d1, false], [d2, true]] as const) {
      const containers = await containersOf(deployment.id);
      expect(containers.map((c) => [c.Labels['deckhand.process'], c.State === 'running'])).toEqual([
        ['web', running],
        ['worker', running],
        ['worker', running],
      ]);
      for (const c of containers.filter((c) => c.Labels['deckhand.process'] === 'worker')) {
        const info = await docker().getContainer(c.Id).inspect();
        expect(info.Image).toBe(deployment.imageId);
        expect(info.Config.Cmd).toEqual(['/bin/busybox', 'sh', '/www/worker.sh']);
        expect(info.Config.Env).toEqual(expect.arrayContaining(['WORKER_MODE=jobs', 'GREETING=hi', `API_TOKEN=${TOKEN}`, `FILE_SECRET=${FILE_SECRET}`]));
        expect(info.Config.Env!.some((e) => e.startsWith('PORT='))).toBe(false);
        expect(info.Mounts.map((m) => [m.Name, m.Destination])).toEqual([[volume, '/data']]);
      }
      const web = await docker().getContainer(containers[0]!.Id).inspect();
      expect(web.Config.Env).toEqual(expect.arrayContaining(['WORKER_MODE=web', `API_TOKEN=${TOKEN}`]));
    }
    expect(await workerLog()).toEqual(['v1 mode=jobs', 'v1 mode=jobs', 'v2 mode=jobs', 'v2 mode=jobs']);
    const labels = (await docker().getVolume(volume).inspect()).Labels;
    expect(labels?.['deckhand.app']).toBe(app);
  }, 180_000);

  it('a v3 whose worker exits at start fails the whole deploy and leaves v2 web and workers running', async () => {
    const [d2] = await services.store.list(app, 1);
    const d3 = await services.deploys.deploy({ app, ref: repo.commits[2], actor: 'U-ops', trigger: 'cli' });
    expect(d3.status).toBe('failed');
    expect(d3.errorCode).toBe('health_check_failed');
    expect(d3.error).toMatch(/Process worker \(replica \d of 2\) is not healthy: the container (exited|is crash-looping)/);
    // The failure quotes the worker's own log, redacted.
    expect(d3.logTail?.join('\n')).toContain('worker of v3 token=***, giving up');
    expect(await containersOf(d3.id)).toEqual([]);
    expect((await containersOf(d2!.id)).map((c) => c.State)).toEqual(['running', 'running', 'running']);
    expect((await services.store.current(app))?.id).toBe(d2!.id);
    // Recreate stopped v2's web for v3 and started it again: its app takes a moment to listen.
    expect((await answered(port)).body).toBe('v2');
  }, 120_000);

  it('a v4 whose web is unhealthy never starts its workers', async () => {
    const [d2] = (await services.store.list(app, 5)).filter((d) => d.status === 'succeeded');
    const d4 = await services.deploys.deploy({ app, ref: repo.commits[3], actor: 'U-ops', trigger: 'cli' });
    expect(d4.status).toBe('failed');
    expect(d4.errorCode).toBe('health_check_failed');
    expect(events.filter((e) => e.deploymentId === d4.id && e.type === 'phase' && e.phase === 'processes')).toEqual([]);
    expect(await workerLog()).not.toContain('v4 mode=jobs');
    expect(await containersOf(d4.id)).toEqual([]);
    expect((await containersOf(d2!.id)).map((c) => c.State)).toEqual(['running', 'running', 'running']);
  }, 120_000);

  it('a rollback to v1 restores web and workers to v1 through the same path; the volume keeps every line', async () => {
    const [d1] = (await services.store.list(app, 10)).filter((d) => d.commitSha === repo.commits[0]);
    // The plan compares the secrets' values now with the target's snapshot (hashes), never showing them.
    expect((await services.rollbacks.plan(app, d1!.id)).envChanges).toEqual({ added: [], removed: [], changed: [] });
    writeFileSync(join(secretDir, 'file-secret'), 'p14-rotated-secret-0001\n');
    expect((await services.rollbacks.plan(app, d1!.id)).envChanges).toEqual({ added: [], removed: [], changed: ['FILE_SECRET'] });
    writeFileSync(join(secretDir, 'file-secret'), `${FILE_SECRET}\n`);
    const { deployment } = await services.rollbacks.rollback(app, d1!.id, 'U-ops');
    expect(deployment.status).toBe('succeeded');
    expect((await get(port)).body).toBe('v1');
    const containers = await containersOf(deployment.id);
    expect(containers.map((c) => [c.Labels['deckhand.process'], c.State])).toEqual([
      ['web', 'running'],
      ['worker', 'running'],
      ['worker', 'running'],
    ]);
    for (const c of containers) expect((await docker().getContainer(c.Id).inspect()).Image).toBe(d1!.imageId);
    expect(await workerLog()).toEqual(['v1 mode=jobs', 'v1 mode=jobs', 'v2 mode=jobs', 'v2 mode=jobs', 'v1 mode=jobs', 'v1 mode=jobs']);
    const status = await services.status.app(services.apps.get(app)!, { window: false });
    expect(status.processes).toEqual([expect.objectContaining({ name: 'worker', replicas: 2, running: 2 })]);
    expect(status.health.state).toBe('healthy');
  }, 120_000);

  it('retention never removes the volume or a container of the running release', async () => {
    const current = (await services.store.current(app))!;
    const d2 = (await services.store.list(app, 10)).find((d) => d.commitSha === repo.commits[1])!;
    expect(await containersOf(d2.id)).toHaveLength(3);
    const report = await services.prune.run({ app, dryRun: false, actor: 'U-ops' });
    // It did prune (the images of the failed v3 and v4); v2 stays whole as the previous release, the instant rollback.
    expect(report.apps[0]!.removedImages).toBeGreaterThanOrEqual(2);
    expect((await containersOf(d2.id)).map((c) => c.State)).toEqual(['exited', 'exited', 'exited']);
    expect((await docker().getVolume(volume).inspect()).Name).toBe(volume);
    expect((await containersOf(current.id)).map((c) => c.State)).toEqual(['running', 'running', 'running']);
  }, 120_000);

  it('the secret values are in no event, no database row and no stored log, byte for byte', async () => {
    const text = JSON.stringify(events);
    expect(text).toContain('***');
    const rows: string[] = [];
    const tables = (await services.database.db.execute(sql`select tablename from pg_tables where schemaname = 'public'`)) as unknown as Array<{ tablename: string }>;
    for (const { tablename } of tables) {
      const dump = await services.database.db.execute(sql`select * from ${sql.identifier(tablename)}`);
      rows.push(JSON.stringify(dump));
    }
    const everything = Buffer.from(`${text}\n${rows.join('\n')}`);
    expect(rows.join('').length).toBeGreaterThan(1000);
    for (const secret of [TOKEN, FILE_SECRET]) expect(everything.indexOf(Buffer.from(secret))).toBe(-1);
  });
});
