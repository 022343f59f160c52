import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdmin } from '../../src/adapters/proxy/caddy-admin.js';
import { CaddyProxy } from '../../src/adapters/proxy/caddy-proxy.js';
import { GitSource } from '../../src/adapters/git/git-source.js';
import { HttpHealthProbe } from '../../src/adapters/http/health-probe.js';
import { runCli } from '../../src/cli.js';
import { runPipeline } from '../../src/domain/deploy/pipeline.js';
import { systemClock } from '../../src/domain/clock.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** busybox httpd in the background; after `seconds`, /healthz disappears (the version "loses its database"). */
const turnsUnhealthy = (seconds: number) =>
  [
    // No -v: the request loop's access lines would push the app's own last words out of the log tail.
    '/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www &',
    `/bin/busybox sleep ${seconds}`,
    '/bin/busybox rm -f /www/healthz',
    'echo "v2 lost its database connection"',
    'wait',
  ].join('\n') + '\n';

/** / answers 500 through a CGI (no index.html), /healthz stays 200: only the 5xx rule can see it. */
const CGI_500 = '#!/bin/busybox sh\necho "Status: 500 Internal Server Error"\necho "Content-Type: text/plain"\necho\necho broken\n';
const serves500 = [
  '/bin/busybox rm -f /www/index.html',
  '/bin/busybox chmod +x /www/cgi-bin/index.cgi',
  'echo "v2 answers 500 on /"',
  'exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www',
].join('\n') + '\n';

/**
 * Issue 11 item 3: after the switch deckhand watches the new version (real Docker, Caddy, Postgres, HTTP). A version
 * that turns unhealthy 5 s after the switch, and one that answers 500s, are reverted inside the window: traffic goes
 * back to the previous container (which kept running), the deploy ends `reverted` with the evidence, the app is
 * locked, and `deckhand deploys` says so. A quiet window ends `succeeded` only once it passed.
 */
describe.skipIf(!enabled)('watch window', () => {
  const unhealthyApp = `f-watch-unhealthy-${process.pid}`;
  const errorsApp = `f-watch-5xx-${process.pid}`;
  const quietApp = `f-watch-quiet-${process.pid}`;
  const abortApp = `f-watch-abort-${process.pid}`;
  let caddy: CaddyProcess;
  let repo: TestRepo;
  let services: TestServices;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    caddy = await startCaddy();
    repo = createTestRepo([{ body: 'v1' }]);
    for (const app of [unhealthyApp, errorsApp, quietApp, abortApp]) ports[app] = await freePort();
    services = await createTestServices({
      apps: [
        gitApp(unhealthyApp, repo.url, ports[unhealthyApp]!, { watchMs: 20_000 }),
        gitApp(errorsApp, repo.url, ports[errorsApp]!, { watchMs: 8_000 }),
        gitApp(quietApp, repo.url, ports[quietApp]!, { watchMs: 11_000 }),
        gitApp(abortApp, repo.url, ports[abortApp]!, { watchMs: 60_000 }),
      ],
      caddyAdminUrl: caddy.adminUrl,
    });
  }, 60_000);

  afterAll(async () => {
    await removeAppArtifacts([unhealthyApp, errorsApp, quietApp, abortApp]).catch(() => undefined);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
  }, 60_000);

  const cli = async (args: string[]) => {
    const out: string[] = [];
    const code = await runCli(args, { io: { out: (t) => out.push(t), err: (t) => out.push(t) }, services });
    return { code, text: out.join('\n') };
  };

  it('reverts a version that turns unhealthy 5 s after the switch, with no failed request, and locks the app', async () => {
    const v1 = await services.deploys.deploy({ app: unhealthyApp, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
    // The container starts, passes its health check (~1 s) and takes traffic; /healthz goes ~5 s after that.
    const v2sha = repo.commit({ body: 'v2', files: { 'start.sh': turnsUnhealthy(6) } });
    const loop = requestLoop(ports[unhealthyApp]!, { maxMs: 60_000 });
    const deploy = await cli(['deploy', unhealthyApp, v2sha]).finally(() => loop.stop());
    const during = await loop.stop();

    const [v2] = await services.store.list(unhealthyApp, 1);
    expect(v2).toMatchObject({ status: 'reverted', errorCode: 'watch_failed', containerId: null });
    expect(v2!.error).toMatch(new RegExp(`^Reverted #${v2!.id}: 3 health probes in a row failed during the watch window .*; traffic went back to #${v1.id}\\.$`));
    expect(v2!.logTail).toContain('-- last health probes --');
    expect(v2!.logTail).toContain('v2 lost its database connection');
    expect(deploy.text).toContain(`[done] Reverted #${v2!.id}: 3 health probes in a row failed`);
    expect(deploy.text).toContain('[result] reverted');

    // Users never saw a failure: v2 answered / until the revert, v1 after it.
    expect(during.failures).toEqual([]);
    expect(during.bodies.get('v1')).toBeGreaterThan(0);
    expect(await new CaddyProxy(caddy.adminUrl).upstream(unhealthyApp)).toBe(v1.upstreamPort);
    const check = requestLoop(ports[unhealthyApp]!, { maxRequests: 100, maxMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const afterRevert = await check.stop();
    expect(afterRevert.failures).toEqual([]);
    expect([...afterRevert.bodies.keys()]).toEqual(['v1']);

    // The previous container kept running; the reverted one is gone; the app is locked; current stays v1.
    const containers = await services.runtime.listContainers(unhealthyApp);
    expect(containers.map((c) => [c.deploymentId, c.running])).toEqual([[v1.id, true]]);
    expect((await services.store.current(unhealthyApp))?.id).toBe(v1.id);
    expect((await services.locks.get(unhealthyApp))?.reason).toMatch(new RegExp(`^reverted #${v2!.id}: 3 health probes in a row failed`));

    // `deckhand deploys` shows the status and why.
    const list = await cli(['deploys', unhealthyApp]);
    const row = list.text.split('\n').find((line) => line.startsWith(`#${v2!.id} `));
    expect(row).toMatch(/ reverted .*watch_failed: Reverted #\d+: 3 health probes in a row failed/);
  }, 90_000);

  it('reverts a version whose responses are 5xx by the 5xx rule (Caddy metrics), its health path still answering', async () => {
    const v1 = await services.deploys.deploy({ app: errorsApp, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
    const v2sha = repo.commit({ body: 'v2', files: { 'start.sh': serves500, 'www/cgi-bin/index.cgi': CGI_500 } });
    const loop = requestLoop(ports[errorsApp]!, { maxMs: 60_000 });
    const v2 = await services.deploys.deploy({ app: errorsApp, ref: v2sha, actor: 'U-ops', trigger: 'cli' }).finally(() => loop.stop());
    await loop.stop();

    expect(v2).toMatchObject({ status: 'reverted', errorCode: 'watch_failed' });
    expect(v2.error).toMatch(/^Reverted #\d+: \d+ of \d+ requests \([\d.]+%\) answered 5xx during the watch window \(the limit is 5% of at least 20\); traffic went back to #\d+\.$/);
    expect(v2.logTail).toContain('v2 answers 500 on /');
    expect(await new CaddyProxy(caddy.adminUrl).upstream(errorsApp)).toBe(v1.upstreamPort);
    const check = requestLoop(ports[errorsApp]!, { maxRequests: 100, maxMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const afterRevert = await check.stop();
    expect(afterRevert.failures).toEqual([]);
    expect([...afterRevert.bodies.keys()]).toEqual(['v1']);
    expect((await services.locks.get(errorsApp))?.deploymentId).toBe(v2.id);
    // Never a rollback target, and never the default one.
    await expect(services.rollbacks.plan(errorsApp, v2.id)).rejects.toMatchObject({ code: 'invalid_rollback_target', message: `Deploy #${v2.id} is reverted (its watch window saw it fail and sent traffic back), so it is never a rollback target; pick a deploy that succeeded.` });
  }, 90_000);

  it('keeps a quiet version in the in-flight status `watching` with the previous one running, and succeeds only when the window passed', async () => {
    const v1 = await services.deploys.deploy({ app: quietApp, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    const v3sha = repo.commit({ body: 'v3' });
    const seen: string[] = [];
    const unsubscribe = services.bus.subscribe((event) => {
      if (event.app === quietApp && event.type === 'phase' && event.phase === 'watch') seen.push(event.message);
    });
    const deploying = services.deploys.deploy({ app: quietApp, ref: v3sha, actor: 'U-ops', trigger: 'cli' });
    let watching;
    for (let i = 0; i < 300 && !watching; i += 1) {
      watching = (await services.store.inFlight(quietApp)).find((d) => d.status === 'watching');
      if (!watching) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(watching).toBeDefined();
    // While watching: not current yet, the previous container still runs.
    expect((await services.store.current(quietApp))?.id).toBe(v1.id);
    const running = (await services.runtime.listContainers(quietApp)).filter((c) => c.running).map((c) => c.deploymentId);
    expect(running.sort()).toEqual([v1.id, watching!.id].sort());
    // Caddy sends to the new version, with the previous one behind it for a request the new one cannot take.
    const upstreams = async () => JSON.parse((await new CaddyAdmin(caddy.adminUrl).call('GET', `/id/deckhand-${quietApp}-proxy/upstreams`)).body) as Array<{ dial: string }>;
    const during = await upstreams();
    expect(during).toHaveLength(2);
    expect(during[1]).toEqual({ dial: `127.0.0.1:${v1.upstreamPort}` });

    const v3 = await deploying.finally(unsubscribe);
    expect(v3.status).toBe('succeeded');
    expect(seen.some((m) => /\d+s left in the watch window/.test(m))).toBe(true);
    expect(seen.at(-1)).toMatch(/^The watch window passed: \d+ probes/);
    expect((await services.store.current(quietApp))?.id).toBe(v3.id);
    expect(await upstreams()).toEqual([{ dial: `127.0.0.1:${v3.upstreamPort}` }]); // the window passed: the new version alone
    const after = await services.runtime.listContainers(quietApp);
    expect(after.find((c) => c.deploymentId === v1.id)?.running).toBe(false);
    expect(await services.locks.get(quietApp)).toBeUndefined();
  }, 90_000);

  it('sends traffic back at once and ends `cancelled` when the pipeline is aborted during the window (the abort command\'s signal)', async () => {
    const v1 = await services.deploys.deploy({ app: abortApp, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
    const spec = services.apps.get(abortApp)!;
    const deps = { ...services, source: new GitSource(services.dataDir), health: new HttpHealthProbe(), clock: systemClock, settings: { drainMs: 300, logTailLines: 50 } };
    const row = await services.store.create({ app: abortApp, status: 'building', source: 'git', trigger: 'cli', actor: 'U-ops', gitRef: 'main', commitSha: v1.commitSha, startedAt: new Date() });
    const controller = new AbortController();
    const loop = requestLoop(ports[abortApp]!, { maxMs: 60_000 });
    const running = runPipeline(deps, spec, row, { kind: 'local-image', imageId: v1.imageId!, imageRef: v1.imageRef }, { signal: controller.signal });
    for (let i = 0; i < 300 && (await services.store.get(row.id))?.status !== 'watching'; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await new CaddyProxy(caddy.adminUrl).upstream(abortApp)).not.toBe(v1.upstreamPort);
    controller.abort('by U-ops');
    // A 60 s window: only the abort can end it within the test's limit.
    const cancelled = await running.finally(() => loop.stop());
    const traffic = await loop.stop();
    expect(cancelled).toMatchObject({ status: 'cancelled', errorCode: 'cancelled' });
    expect(cancelled.error).toBe(`Cancelled #${row.id}: the deploy was aborted during its watch window (by U-ops); traffic went back to #${v1.id}.`);
    expect(traffic.failures).toEqual([]);
    expect(await new CaddyProxy(caddy.adminUrl).upstream(abortApp)).toBe(v1.upstreamPort);
    const containers = await services.runtime.listContainers(abortApp);
    expect(containers.map((c) => [c.deploymentId, c.running])).toEqual([[v1.id, true]]);
    // A cancel is a person's choice, not a failure of the version: the app is not locked.
    expect(await services.locks.get(abortApp)).toBeUndefined();
    expect((await services.store.current(abortApp))?.id).toBe(v1.id);
  }, 90_000);
});
