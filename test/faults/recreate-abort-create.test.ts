import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/deployment.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useOwnEngineApp } from '../helpers/own-engine-app.js';
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
  const h = useOwnEngineApp({
    app,
    versions: [{ body: 'v1' }, { body: 'v2' }],
    env: { DECKHAND_DOCKER_TIMEOUT: '10s', DECKHAND_DRAIN: '0s' },
    deployed: 1,
    // A frozen engine (SIGSTOP) goes on before the teardown.
    beforeTeardown: (own) => {
      if (own.engine?.pid) process.kill(own.engine.pid, 'SIGCONT');
    },
  });

  it('ends cancelled and stops nothing: v1 is the same process throughout, no request fails, no v2 container is left', async () => {
    const [v1] = await h.services.store.list(app, 1);
    const before = await h.engine.docker.getContainer(v1!.containerId!).inspect();
    let frozen = false;
    let id = 0;
    const unsubscribe = h.services.bus.subscribe((event) => {
      if (event.deploymentId !== id || frozen || event.type !== 'phase' || !event.message.startsWith('Starting container on port')) return;
      frozen = true;
      process.kill(h.engine.pid!, 'SIGSTOP'); // before the create reaches the engine
    });
    const load = steadyLoad(h.port, { rate: 100, maxMs: 60_000 });
    let done: Promise<Deployment> | undefined;
    try {
      done = h.services.deploys.deploy({ app, ref: h.repo.commits[1]!, actor: 'U-ops', trigger: 'cli', onStarted: (d) => (id = d.id) });
      await expect.poll(() => frozen, { timeout: 30_000, interval: 20 }).toBe(true);
      await h.services.deploys.abort(app, 'U-bob');
    } finally {
      process.kill(h.engine.pid!, 'SIGCONT');
      unsubscribe();
    }
    const final = await done;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = await load.stop();

    expect(final).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', error: 'Cancelled by U-bob.' });
    expect(seen.total).toBeGreaterThan(30);
    expect(seen.failures).toEqual([]);
    const after = await h.engine.docker.getContainer(v1!.containerId!).inspect();
    expect([after.State.Running, after.State.StartedAt, after.State.Pid]).toEqual([true, before.State.StartedAt, before.State.Pid]);
    expect((await h.services.runtime.listContainers(app)).map((c) => c.deploymentId)).toEqual([v1!.id]);
    expect(await get(h.port, '/', 2000)).toEqual({ status: 200, body: 'v1' });
  }, 120_000);
});
