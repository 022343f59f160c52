import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/adapters/git/git-source.js';
import { HttpHealthProbe } from '../../src/adapters/http/health-probe.js';
import { CaddyProxy } from '../../src/adapters/proxy/caddy-proxy.js';
import { systemClock } from '../../src/domain/clock.js';
import { runPipeline } from '../../src/domain/deploy/pipeline.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { buildImageFromRepo, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo, slowCgiFiles } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * When traffic goes back from a new version (here: the deploy aborted in its watch window), the new version's web
 * gets the drain before it is removed, as a retired one does: a request it was answering finishes, instead of the
 * proxy answering 502 for it. Real Docker, Caddy and Postgres.
 */
describe.skipIf(!enabled)('a version taken back from drains before it is removed', () => {
  const app = `f-revdrain-${process.pid}`;
  let caddy: CaddyProcess;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    caddy = await startCaddy();
    // v2 has a CGI that takes 1 s to answer: a request in flight on v2 when traffic goes back.
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2', files: slowCgiFiles(1, 'slow-v2') }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { watchMs: 60_000 })], caddyAdminUrl: caddy.adminUrl });
  }, 60_000);
  afterAll(async () => {
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
  }, 60_000);

  it('a request in flight on the new version when the deploy is aborted in its window still gets its answer', async () => {
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
    const imageRef = `deckhand-test/${app}:v2`;
    const imageId = await buildImageFromRepo(repo.dir, repo.commits[1]!, imageRef, app);
    const deps = { ...services, source: new GitSource(services.dataDir), health: new HttpHealthProbe(), clock: systemClock, settings: { drainMs: 2500, logTailLines: 50 } };
    const row = await services.store.create({ app, status: 'building', source: 'git', trigger: 'cli', actor: 'U-ops', gitRef: 'main', commitSha: repo.commits[1]!, startedAt: new Date() });
    const controller = new AbortController();
    const running = runPipeline(deps, services.apps.get(app)!, row, { kind: 'local-image', imageId, imageRef }, { signal: controller.signal });
    for (let i = 0; i < 300 && (await services.store.get(row.id))?.status !== 'watching'; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await new CaddyProxy(caddy.adminUrl).upstream(app)).not.toBe(v1.upstreamPort);

    const slow = get(port, '/cgi-bin/slow.cgi', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the request is being answered by v2
    controller.abort('by U-ops');
    const cancelled = await running;
    expect(cancelled).toMatchObject({ status: 'cancelled', errorCode: 'cancelled' });
    expect(await slow).toEqual({ status: 200, body: 'slow-v2\n' });
    expect((await get(port)).body).toBe('v1');
    expect((await services.runtime.listContainers(app)).map((c) => [c.deploymentId, c.running])).toEqual([[v1.id, true]]);
  }, 90_000);
});
