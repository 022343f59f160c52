import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrizzleLeaseStore } from '../../src/adapters/db/locks-repo.js';
import { CaddyProxy, checkReusePortMigration } from '../../src/adapters/proxy/caddy-proxy.js';
import { appLeaseName } from '../../src/domain/locks/lease.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

describe.skipIf(!enabled)('deploy engine on a real Docker engine, git repository and database (Caddy switch)', () => {
  const app = `it-deploy-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let services: TestServices;
  let port: number;
  let v1: string, v2: string, v3: string;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3', healthy: false }]);
    [v1, v2, v3] = repo.commits as [string, string, string];
    caddy = await startCaddy();
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 3000, env: { GREETING: 'hi', API_TOKEN: 'tok-9f8e7d6c5b4a' } })], caddyAdminUrl: caddy.adminUrl });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
  });

  const deploy = (ref: string) => services.deploys.deploy({ app, ref, actor: 'U-alice', trigger: 'cli' });

  it('deploys v1, moves to v2 with zero failed requests, and keeps v2 serving when v3 fails its health check', async () => {
    // Caddy reopens listeners with SO_REUSEPORT on a config change; without this setting the kernel resets the few
    // connections queued on the old socket. .ci/run sets it; README tells operators to.
    expect(await checkReusePortMigration(), 'run `sysctl -w net.ipv4.tcp_migrate_req=1` on this host (README: Traffic switch)').toEqual([]);
    const d1 = await deploy(v1);
    expect(d1).toMatchObject({ status: 'succeeded', commitSha: v1, commitSubject: 'release v1', actor: 'U-alice' });
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });

    const loop = requestLoop(port, { maxMs: 60_000 });
    const d2 = await deploy(v2);
    await new Promise((r) => setTimeout(r, 300));
    const seen = await loop.stop();
    expect(d2.status).toBe('succeeded');
    expect(seen.failures).toEqual([]);
    expect(seen.total).toBeGreaterThan(20);
    expect(seen.bodies.get('v2')).toBeGreaterThan(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });

    // The old container is stopped, not removed: it is the instant rollback.
    const old = await services.runtime.inspectContainer(d1.containerId!);
    expect(old).toMatchObject({ running: false, deploymentId: d1.id });
    // The image carries the OCI revision and the app; nothing that changes per deploy (its container has the id), so a
    // rebuild of the same commit comes from Docker's cache.
    const image = await docker().getImage(d2.imageId!).inspect();
    expect(image.Config.Labels).toMatchObject({ 'org.opencontainers.image.revision': v2, 'deckhand.app': app });
    expect(image.Config.Labels).not.toHaveProperty('deckhand.deployment');
    // The new container got PORT and the app's env.
    const info = await docker().getContainer(d2.containerId!).inspect();
    expect(info.Config.Env).toEqual(expect.arrayContaining([`PORT=${d2.upstreamPort}`, 'GREETING=hi']));
    expect(await new CaddyProxy(caddy.adminUrl).upstream(app)).toBe(d2.upstreamPort);

    const d3 = await deploy(v3);
    expect(d3.status).toBe('failed');
    expect(d3.errorCode).toBe('health_check_failed');
    expect(d3.error).toMatch(/\/healthz did not answer 2xx within 3s \(last: HTTP 404\)/);
    expect(d3.logTail?.join('\n')).toMatch(/starting v3 on port \d+/);
    // The container printed a secret from its env: it never reaches the log tail (nor Slack, nor the CLI).
    expect(d3.logTail).toContain('using token ***');
    expect(JSON.stringify(await services.events.list(d3.id))).not.toContain('tok-9f8e7d6c5b4a');
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
    const left = (await services.runtime.listContainers(app)).filter((c) => c.deploymentId === d3.id);
    expect(left).toEqual([]);
    expect((await services.store.current(app))?.id).toBe(d2.id);

    const kinds = (await services.events.list(d3.id)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['phase.build', 'phase.start', 'phase.health', 'health', 'result']));
    const audit = await services.audit.list({ app });
    expect(audit.find((a) => a.action === 'deploy.finish' && a.deploymentId === d3.id)).toMatchObject({ result: 'failed' });
  });

  it('refuses an older commit with out_of_date and writes no deployment', async () => {
    const before = await services.store.list(app, 100);
    await expect(deploy(v1)).rejects.toMatchObject({ code: 'out_of_date' });
    expect(await services.store.list(app, 100)).toEqual(before);
    const [refusal] = await services.audit.list({ app, action: 'deploy.refused' });
    expect(refusal?.details).toMatchObject({ code: 'out_of_date' });
  });

  it('runs exactly one of two deploys started together; the other gets deploy_in_progress', async () => {
    const results = await Promise.allSettled([deploy(v2), deploy(v2)]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toMatchObject({ code: 'deploy_in_progress' });
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  });

  it('takes over the lease of a holder that died, and closes its half-done deploy as interrupted', async () => {
    const leases = new DrizzleLeaseStore(services.testDb.db);
    const now = new Date();
    // A live holder: refused at once.
    await leases.tryAcquire(appLeaseName(app), 'other-replica', now, new Date(now.getTime() + 60_000));
    const orphan = await services.store.create({ app, status: 'building', source: 'git', trigger: 'cli', actor: 'U-crashed', gitRef: 'main' });
    await expect(deploy(v2)).rejects.toMatchObject({ code: 'deploy_in_progress', details: { running: orphan.id } });
    // The holder dies: its lease ran out a while ago.
    await leases.release(appLeaseName(app), 'other-replica');
    await leases.tryAcquire(appLeaseName(app), 'dead-replica', new Date(now.getTime() - 120_000), new Date(now.getTime() - 60_000));
    const d = await deploy(v2);
    expect(d.status).toBe('succeeded');
    expect(await services.store.get(orphan.id)).toMatchObject({ status: 'failed', errorCode: 'interrupted' });
    expect(await leases.holder(appLeaseName(app))).toBeUndefined();
  });

  it("with no deploy in flight, a lease held by deckhand's own watchdog is told as its repair, not as a running deploy", async () => {
    const leases = new DrizzleLeaseStore(services.testDb.db);
    const now = new Date();
    const holder = `deckhand:watchdog@elsewhere/1/${randomUUID()}`;
    await leases.tryAcquire(appLeaseName(app), holder, now, new Date(now.getTime() + 60_000));
    try {
      expect(await services.store.inFlight(app)).toEqual([]);
      await expect(deploy(v2)).rejects.toMatchObject({ code: 'deploy_in_progress', message: expect.stringMatching(/ is busy: deckhand's watchdog is repairing it/) });
    } finally {
      await leases.release(appLeaseName(app), holder);
    }
  });

  it('at boot, reconcile points a Caddy that lost its routes back at the running container', async () => {
    const current = (await services.store.current(app))!;
    await services.traffic.point(app, port, 1); // as if Caddy restarted with a stale route
    expect(await new CaddyProxy(caddy.adminUrl).upstream(app)).toBe(1);
    expect(await services.deploys.reconcile()).toEqual([`${app}: pointed the proxy back at deckhand-${app}-${current.id}`]);
    expect(await new CaddyProxy(caddy.adminUrl).upstream(app)).toBe(current.upstreamPort);
    // Record and reality agree now: the next pass does nothing.
    expect(await services.deploys.reconcile()).toEqual([]);
    expect((await get(port)).status).toBe(200);
  });

  it('ends a queued deploy that a newer successful deploy overtook as superseded, without running it', async () => {
    const queued = await services.deploys.enqueue({ app, ref: 'main', actor: 'U-bob', trigger: 'slack' });
    expect(queued.status).toBe('queued');
    const newer = await deploy(v2);
    expect(newer.status).toBe('succeeded');
    const result = await services.deploys.runQueued(queued.id, 'U-approver');
    expect(result).toMatchObject({ status: 'superseded', errorCode: 'superseded', imageId: null });
    expect(result.error).toContain(`#${newer.id}`);
    expect((await services.runtime.listContainers(app)).some((c) => c.deploymentId === queued.id)).toBe(false);
  });
});

describe.skipIf(!enabled)('deploy engine without a proxy (recreate strategy)', () => {
  const app = `it-recreate-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'r1' }, { body: 'r2' }, { body: 'r3', healthy: false }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 2000 })] });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('stops the old container, starts the new one on the public port, and restarts the old one when the new fails', async () => {
    const [r1, r2, r3] = repo.commits as [string, string, string];
    expect((await services.deploys.deploy({ app, ref: r1, actor: 'cli:t', trigger: 'cli' })).status).toBe('succeeded');
    expect((await get(port)).body).toBe('r1');
    const d2 = await services.deploys.deploy({ app, ref: r2, actor: 'cli:t', trigger: 'cli' });
    expect(d2).toMatchObject({ status: 'succeeded', upstreamPort: port });
    expect((await get(port)).body).toBe('r2');
    const d3 = await services.deploys.deploy({ app, ref: r3, actor: 'cli:t', trigger: 'cli' });
    expect(d3.status).toBe('failed');
    expect(d3.error).toMatch(/\(last: HTTP 404\)\. The app answers, but not at \/healthz: set run\.health to a path that answers 2xx once the app is ready\.$/);
    expect((await get(port)).body).toBe('r2');
  });

  it('an app that never listens on $PORT fails its health check saying so, and the previous one serves again', async () => {
    const r4 = repo.commit({ body: 'r4', files: { 'start.sh': 'echo "listening elsewhere"\nexec /bin/busybox sleep 600\n' } });
    const d4 = await services.deploys.deploy({ app, ref: r4, actor: 'cli:t', trigger: 'cli' });
    expect(d4).toMatchObject({ status: 'failed', errorCode: 'health_check_failed' });
    expect(d4.error).toMatch(new RegExp(`\\(last: ECONNREFUSED\\)\\. Nothing ever listened on port ${port}: the app must listen on the port deckhand passes in \\$PORT \\(${port}\\), on 127\\.0\\.0\\.1 or 0\\.0\\.0\\.0`));
    expect((await get(port)).body).toBe('r2');
  });
});
