import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/deployment.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { type OwnDockerd, startOwnDockerd } from '../helpers/own-dockerd.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { steadyLoad } from '../helpers/steady-load.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * Recreate (no proxy): a deploy aborted while Docker creates its new container has stopped nothing yet, and must
 * stop nothing. The moment is made exact on an engine of the test's own: it is frozen (SIGSTOP) as the deploy says it
 * starts its container, so the create waits; the abort lands; then the engine goes on. A request loop runs through
 * it. Real engine, git and Postgres.
 */
describe.skipIf(!enabled)('recreate: an abort while the new container is created', () => {
  const app = `f-abort-create-${process.pid}`;
  let engine: OwnDockerd;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    engine = await startOwnDockerd();
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)], env: { DOCKER_SOCKET: engine.socket, DECKHAND_DOCKER_TIMEOUT: '10s', DECKHAND_DRAIN: '0s' } });
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status, `${v1.errorCode}: ${v1.error}`).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    if (engine?.pid) process.kill(engine.pid, 'SIGCONT');
    await services?.dispose();
    await engine?.dispose();
    repo?.cleanup();
  }, 60_000);

  it('ends cancelled and stops nothing: v1 is the same process throughout, no request fails, no v2 container is left', async () => {
    const [v1] = await services.store.list(app, 1);
    const before = await engine.docker.getContainer(v1!.containerId!).inspect();
    let frozen = false;
    let id = 0;
    const unsubscribe = services.bus.subscribe((event) => {
      if (event.deploymentId !== id || frozen || event.type !== 'phase' || !event.message.startsWith('Starting container on port')) return;
      frozen = true;
      process.kill(engine.pid!, 'SIGSTOP'); // before the create reaches the engine
    });
    const load = steadyLoad(port, { rate: 100, maxMs: 60_000 });
    let done: Promise<Deployment> | undefined;
    try {
      done = services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli', onStarted: (d) => (id = d.id) });
      await expect.poll(() => frozen, { timeout: 30_000, interval: 20 }).toBe(true);
      await services.deploys.abort(app, 'U-bob');
    } finally {
      process.kill(engine.pid!, 'SIGCONT');
      unsubscribe();
    }
    const final = await done;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = await load.stop();

    expect(final).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', error: 'Cancelled by U-bob.' });
    expect(seen.total).toBeGreaterThan(30);
    expect(seen.failures).toEqual([]);
    const after = await engine.docker.getContainer(v1!.containerId!).inspect();
    expect([after.State.Running, after.State.StartedAt, after.State.Pid]).toEqual([true, before.State.StartedAt, before.State.Pid]);
    expect((await services.runtime.listContainers(app)).map((c) => c.deploymentId)).toEqual([v1!.id]);
    expect(await get(port, '/', 2000)).toEqual({ status: 200, body: 'v1' });
  }, 120_000);
});
