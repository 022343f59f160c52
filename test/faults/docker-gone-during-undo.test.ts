import { describe, expect, it } from 'vitest';
import { type DockerCallLog, startDockerCallLog } from '../helpers/docker-call-log.js';
import { APP_DOCKERFILE } from '../helpers/git-repo.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useOwnEngineApp } from '../helpers/own-engine-app.js';
import { until } from '../helpers/until.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * A release fails (its container exits before it answers), and Docker stops while deckhand undoes it: an engine
 * that stops kills its containers, so what the health check saw may be Docker going away, and nothing Docker ran may
 * serve now. The deploy must say that Docker is unreachable, first, and keep what failed before it. The engine is a
 * dockerd of the test's own, stopped for real while the undo's removal of the new container waits in front of it
 * (a logging socket between deckhand and the engine holds that one request until the engine is down).
 */
describe.skipIf(!enabled)('Docker gone while a failed release is undone', () => {
  const app = `f-docker-undo-${process.pid}`;
  let log: DockerCallLog;
  const h = useOwnEngineApp({
    app,
    versions: [{ body: 'v1' }],
    env: { DECKHAND_DOCKER_TIMEOUT: '3s' },
    docker: async (engine) => (log = await startDockerCallLog(engine.socket)),
    beforeTeardown: () => log?.holdRequests(undefined),
  });

  it('the failure is docker_unavailable, and still says what failed before Docker went', async () => {
    const first = await h.services.deploys.deploy({ app, actor: 'U-ops', trigger: 'cli' });
    expect(first.status, `${first.errorCode}: ${first.error}`).toBe('succeeded');
    const broken = h.repo.commit({ body: 'broken', files: { Dockerfile: APP_DOCKERFILE, 'start.sh': 'echo broken-start; exit 3\n' } });

    log.holdRequests(/^DELETE \/containers\//);
    const deploying = h.services.deploys.deploy({ app, ref: broken, actor: 'U-ops', trigger: 'cli' });
    await until("the undo's removal of the new container", () => log.heldCount() > 0, 60_000, 50);
    try {
      await h.engine.stop();
    } finally {
      log.holdRequests(undefined);
    }
    const deployment = await deploying;
    expect(deployment, `${deployment.errorCode}: ${deployment.error}`).toMatchObject({ status: 'failed', errorCode: 'docker_unavailable' });
    expect(deployment.error).toMatch(/^Docker is not reachable at \S+; could not .*\. Before that, the release had failed: the container .*exited with code 3\b/);
    // The evidence read before Docker went is kept: the failed container's own last lines.
    expect(deployment.logTail).toContain('broken-start');
    await h.engine.start();
  });
});
