import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppSpec } from '../../src/domain/apps.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** Ready when it says so: the health command looks for /www/ready, which the worker writes after a moment. */
const readyWorker = (version: string) => `/bin/busybox sleep 1
echo "${version} ready"
/bin/busybox touch /www/ready
exec /bin/busybox sleep 100000
`;
/** Passes its first look, then dies inside the watch window. */
const dyingWorker = `/bin/busybox touch /www/ready
/bin/busybox sleep 2
echo "worker gives up"
exit 4
`;
const neverReady = `exec /bin/busybox sleep 100000
`;

describe.skipIf(!enabled)('processes: health commands, and the watch window covers them', () => {
  const app = `p14w-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([
      { body: 'v1', files: { 'www/worker.sh': readyWorker('v1') } },
      { body: 'v2', files: { 'www/worker.sh': dyingWorker } },
      { body: 'v3', files: { 'www/worker.sh': neverReady } },
    ]);
    caddy = await startCaddy();
    port = await freePort();
    const base = gitApp(app, repo.url, port);
    const spec: AppSpec = {
      ...base,
      run: { ...base.run, watchMs: 6000, healthTimeoutMs: 3000, stopTimeoutMs: 1000 },
      processes: [{ name: 'worker', command: ['/bin/busybox', 'sh', '/www/worker.sh'], replicas: 1, env: {}, secretEnv: {}, healthyAfterMs: 1000, healthCmd: ['/bin/busybox', 'test', '-f', '/www/ready'] }],
    };
    services = await createTestServices({ apps: [spec], caddyAdminUrl: caddy.adminUrl });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
  });

  const states = async (deploymentId: number) =>
    (await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${app}`, `deckhand.deployment=${deploymentId}`] } })).map((c) => `${c.Labels['deckhand.process']}:${c.State}`).sort();

  it('a worker is healthy once its health command exits 0 inside it', async () => {
    const d1 = await services.deploys.deploy({ app, ref: repo.commits[0], actor: 'U-ops', trigger: 'cli' });
    expect(d1.status, d1.error ?? '').toBe('succeeded');
    const worker = (await docker().listContainers({ filters: { label: [`deckhand.deployment=${d1.id}`, 'deckhand.process=worker'] } }))[0]!;
    // It was waited for: the file the command looks for exists, so the worker got past its sleep before the switch.
    expect((await docker().getContainer(worker.Id).logs({ stdout: true })).toString()).toContain('v1 ready');
  }, 60_000);

  it('a worker that dies in the watch window reverts the release: traffic goes back and the previous worker never stopped', async () => {
    const [d1] = await services.store.list(app, 1);
    const d2 = await services.deploys.deploy({ app, ref: repo.commits[1], actor: 'U-ops', trigger: 'cli' });
    expect(d2.status).toBe('reverted');
    expect(d2.error).toMatch(/worker.*exited with code 4|worker.*crash-looping/);
    expect(d2.logTail?.join('\n')).toContain('worker gives up');
    expect((await get(port)).body).toBe('v1');
    expect(await states(d1!.id)).toEqual(['web:running', 'worker:running']);
    expect(await states(d2.id)).toEqual([]);
    await services.controls.unlock(app, 'U-ops');
  }, 60_000);

  it('a health command that never succeeds fails the deploy before the switch, naming the process and the command', async () => {
    const [, d1] = await services.store.list(app, 2);
    const d3 = await services.deploys.deploy({ app, ref: repo.commits[2], actor: 'U-ops', trigger: 'cli' });
    expect(d3.status).toBe('failed');
    expect(d3.error).toContain('Process worker (replica 1 of 1) is not healthy: its health command did not succeed within 3s');
    expect(d3.error).toContain('/bin/busybox test -f /www/ready exited with code 1');
    expect((await get(port)).body).toBe('v1');
    expect(await states(d1!.id)).toEqual(['web:running', 'worker:running']);
    expect(await states(d3.id)).toEqual([]);
  }, 60_000);
});
