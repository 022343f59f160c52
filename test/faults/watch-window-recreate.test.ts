import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * Without a proxy (recreate, `proxy: none`) the previous container was stopped to free the public port, so a revert
 * stops the new one and starts the previous one again: the app comes back on the old version, the deploy ends
 * `reverted`, and the app is locked.
 */
describe.skipIf(!enabled)('watch window without a proxy (recreate)', () => {
  const app = `f-watch-recreate-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }]);
    repo.commit({ body: 'v2', files: { 'start.sh': '/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www &\n/bin/busybox sleep 4\n/bin/busybox rm -f /www/healthz\nwait\n' } });
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { watchMs: 20_000 })] });
  }, 60_000);

  afterAll(async () => {
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    repo?.cleanup();
  }, 60_000);

  it('reverts by stopping the new container and starting the previous one again', async () => {
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
    const v2 = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
    expect(v2).toMatchObject({ status: 'reverted', errorCode: 'watch_failed' });
    expect(v2.error).toMatch(new RegExp(`^Reverted #${v2.id}: 3 health probes in a row failed during the watch window .*; traffic went back to #${v1.id}\\.$`));
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
    const containers = await services.runtime.listContainers(app);
    expect(containers.map((c) => [c.deploymentId, c.running])).toEqual([[v1.id, true]]);
    expect((await services.locks.get(app))?.reason).toMatch(new RegExp(`^reverted #${v2.id}: `));
  }, 90_000);
});
