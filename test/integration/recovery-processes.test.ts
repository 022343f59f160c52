import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppSpec } from '../../src/domain/apps.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { buildImageFromRepo, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

/** Recovery knows processes: an interrupted release leaves nothing behind, and the serving release's workers run. */
describe.skipIf(!enabled)('recovery of a release with processes', () => {
  const app = `it-recproc-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let services: TestServices;
  let port: number;
  let image: string;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }]);
    image = await buildImageFromRepo(repo.dir, repo.commits[0]!, `deckhand-test/${app}:v1`, app);
    caddy = await startCaddy();
    port = await freePort();
    const base = gitApp(app, repo.url, port);
    const spec: AppSpec = { ...base, run: { ...base.run, stopTimeoutMs: 1000 }, processes: [{ name: 'worker', command: ['/bin/busybox', 'sleep', '100000'], replicas: 2, env: {}, secretEnv: {}, healthyAfterMs: 500 }] };
    services = await createTestServices({ apps: [spec], caddyAdminUrl: caddy.adminUrl });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
  });

  const running = async (deploymentId: number) =>
    (await services.runtime.listContainers(app)).filter((c) => c.deploymentId === deploymentId).map((c) => `${c.process}:${c.running}`).sort();

  it('a release interrupted after starting its web and a worker: both removed, the serving release and its workers untouched', async () => {
    const d1 = await services.deploys.deploy({ app, image, actor: 'U-a', trigger: 'cli' });
    expect(d1.status).toBe('succeeded');
    expect(await running(d1.id)).toEqual(['web:true', 'worker:true', 'worker:true']);
    const row = await services.store.create({ app, status: 'starting', source: 'image', trigger: 'cli', actor: 'U-crashed', imageRef: image });
    await services.runtime.start({ app, deploymentId: row.id, image, port: await freePort(), env: {} });
    await services.runtime.start({ app, deploymentId: row.id, image, port: null, env: {}, process: 'worker', replica: 1, settings: { command: ['/bin/busybox', 'sleep', '100000'] } });
    expect(await running(row.id)).toEqual(['web:true', 'worker:true']);

    const notes = await services.deploys.reconcile();
    expect(notes).toEqual([`${app}: #${row.id} was interrupted: closed as failed, what it had started removed`]);
    expect(await running(row.id)).toEqual([]);
    expect(await running(d1.id)).toEqual(['web:true', 'worker:true', 'worker:true']);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
  });

  it('a worker of the serving release found stopped is started again by the reconciler', async () => {
    const current = (await services.store.current(app))!;
    const worker = (await services.runtime.listContainers(app)).find((c) => c.deploymentId === current.id && c.process === 'worker' && c.replica === 2)!;
    await services.runtime.stop(worker.id, 1000);
    const notes = await services.deploys.reconcile();
    expect(notes).toEqual([`${app}: ${worker.name} (worker of #${current.id}) was not running: started it again`]);
    expect(await running(current.id)).toEqual(['web:true', 'worker:true', 'worker:true']);
  });

  it('a second deploy retires the first release web and workers, stopped, and keeps its own', async () => {
    const d1 = await services.store.current(app);
    const d2 = await services.deploys.deploy({ app, image, actor: 'U-a', trigger: 'cli' });
    expect(d2.status).toBe('succeeded');
    expect(await running(d1!.id)).toEqual(['web:false', 'worker:false', 'worker:false']);
    expect(await running(d2.id)).toEqual(['web:true', 'worker:true', 'worker:true']);
  });
});
