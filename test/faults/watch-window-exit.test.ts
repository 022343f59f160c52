import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyProxy } from '../../src/adapters/proxy/caddy-proxy.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** busybox httpd in the background; after `seconds` the start script exits, and the container with it (a crash). */
const crashesAfter = (seconds: number) =>
  ['/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www &', `/bin/busybox sleep ${seconds}`, 'echo "v2 crashed"', 'exit 3'].join('\n') + '\n';

/**
 * A new version whose container exits inside its watch window, on one Docker host through Caddy (real Docker, Caddy,
 * Postgres, HTTP). Docker's restart policy starts it again, and it exits again; the watch window notices and sends
 * traffic back. Meanwhile the previous version (still running) takes every request the new one cannot: a loop of
 * requests through the public port sees no failure from the switch to after the revert.
 */
describe.skipIf(!enabled)('a version that crashes in its watch window', () => {
  const app = `f-watch-exit-${process.pid}`;
  let caddy: CaddyProcess;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    caddy = await startCaddy();
    repo = createTestRepo([{ body: 'v1' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { watchMs: 30_000 })], caddyAdminUrl: caddy.adminUrl });
  }, 60_000);

  afterAll(async () => {
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
  }, 60_000);

  it('is reverted, and the previous version answers every request from the crash on: 0 failed requests', async () => {
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
    const v2sha = repo.commit({ body: 'v2', files: { 'start.sh': crashesAfter(3) } });
    const loops = Array.from({ length: 3 }, () => requestLoop(port, { maxMs: 90_000 }));
    const v2 = await services.deploys.deploy({ app, ref: v2sha, actor: 'U-ops', trigger: 'cli' }).finally(() => Promise.all(loops.map((l) => l.stop())));
    const seen = await Promise.all(loops.map((l) => l.stop()));

    expect(v2).toMatchObject({ status: 'reverted', errorCode: 'watch_failed', containerId: null });
    expect(v2.error).toMatch(new RegExp(`traffic went back to #${v1.id}\\.$`));
    expect(seen.flatMap((r) => r.failures)).toEqual([]);
    // v2 served between its switch and its crash; v1 before, behind it, and after the revert.
    expect(seen.reduce((n, r) => n + (r.bodies.get('v2') ?? 0), 0)).toBeGreaterThan(0);
    expect(seen.reduce((n, r) => n + (r.bodies.get('v1') ?? 0), 0)).toBeGreaterThan(0);
    expect(await new CaddyProxy(caddy.adminUrl).upstream(app)).toBe(v1.upstreamPort);
    const check = requestLoop(port, { maxRequests: 50, maxMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await check.stop();
    expect(after.failures).toEqual([]);
    expect([...after.bodies.keys()]).toEqual(['v1']);
  }, 120_000);
});
