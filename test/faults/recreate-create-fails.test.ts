import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../../src/adapters/docker/container-create.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { steadyLoad } from '../helpers/steady-load.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * Recreate (no proxy) stops the old container to free the public port. When Docker refuses to create the new
 * container, nothing needed stopping: the old one must not have been touched. The refusal here is real: a container
 * of another app already holds the name deckhand gives the new one (Docker answers 409, and deckhand never
 * removes another app's container). A request loop runs through the deploy. Real engine, git and Postgres.
 */
describe.skipIf(!enabled)('recreate: a container that cannot be created stops nothing', () => {
  const app = `f-create-fails-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;
  const strangers: string[] = [];

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)], env: { DECKHAND_DRAIN: '0s' } });
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status, `${v1.errorCode}: ${v1.error}`).toBe('succeeded');
  }, 60_000);

  afterAll(async () => {
    for (const id of strangers) await docker().getContainer(id).remove({ force: true }).catch(() => undefined);
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    repo?.cleanup();
  }, 60_000);

  it('the deploy fails with start_failed; v1 keeps running, untouched, and no request fails', async () => {
    const [v1] = await services.store.list(app, 1);
    const before = await docker().getContainer(v1!.containerId!).inspect();
    // The next deployment's id (ids are a sequence; this suite's database holds only this app's deploys).
    const nextId = v1!.id + 1;
    // Another app's container (a container inherits its image's labels: this one says whose it is itself).
    const stranger = await docker().createContainer({ name: containerName(app, nextId), Image: v1!.imageId!, Cmd: ['/bin/busybox', 'true'], Labels: { 'deckhand.app': `other-${app}` } });
    strangers.push(stranger.id);

    const load = steadyLoad(port, { rate: 100, maxMs: 60_000 });
    const v2 = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // requests sent after the result reach v1 too
    const result = await load.stop();

    expect(v2.id).toBe(nextId);
    expect(v2).toMatchObject({ status: 'failed', errorCode: 'start_failed' });
    expect(v2.error).toMatch(/Could not start the container: .*(Conflict|already in use)/);
    const after = await docker().getContainer(v1!.containerId!).inspect();
    expect(after.State.Running).toBe(true);
    // Not stopped and started again: the same run of the same process.
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(after.State.Pid).toBe(before.State.Pid);
    expect(result.total).toBeGreaterThan(50);
    expect(result.failures).toEqual([]);
    expect(await get(port, '/', 2000)).toEqual({ status: 200, body: 'v1' });
    // The other app's container is left as it was.
    expect((await docker().getContainer(stranger.id).inspect()).Name).toBe(`/${containerName(app, nextId)}`);
  }, 60_000);
});
