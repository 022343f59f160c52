import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { buildImageFromRepo, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

/** What recovery does with what a crashed process left behind, judged by Docker's labels rather than the record. */
describe.skipIf(!enabled)('recovery from what runs', () => {
  const app = `it-recover-${process.pid}`;
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
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)], caddyAdminUrl: caddy.adminUrl });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
  });

  it('a container started but never recorded (the process died in between) is found by its label and removed; what serves is untouched', async () => {
    const d1 = await services.deploys.deploy({ app, image, actor: 'U-a', trigger: 'cli' });
    expect(d1.status).toBe('succeeded');
    const orphanRow = await services.store.create({ app, status: 'starting', source: 'image', trigger: 'cli', actor: 'U-crashed', imageRef: image });
    const orphan = await services.runtime.start({ app, deploymentId: orphanRow.id, image, port: await freePort(), env: {} });
    expect(orphanRow.containerId).toBeNull();

    const notes = await services.deploys.reconcile();
    expect(notes).toEqual([`${app}: #${orphanRow.id} was interrupted: closed as failed, what it had started removed`]);
    expect(await services.runtime.inspectContainer(orphan.id)).toBeUndefined();
    expect(await services.store.get(orphanRow.id)).toMatchObject({ status: 'failed', errorCode: 'interrupted' });
    expect(await services.runtime.inspectContainer(d1.containerId!)).toMatchObject({ running: true });
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
  });

  it('a stopped serving container is started again, health-checked and the proxy pointed at it', async () => {
    const current = (await services.store.current(app))!;
    await services.runtime.stop(current.containerId!);
    await services.traffic.point(app, port, 1);
    const notes = await services.deploys.reconcile();
    expect(notes).toEqual([
      `${app}: deckhand-${app}-${current.id} (#${current.id}) was not running: started it again`,
      `${app}: pointed the proxy back at deckhand-${app}-${current.id}`,
    ]);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
  });
});
