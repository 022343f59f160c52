import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerCallLog, startDockerCallLog } from '../helpers/docker-call-log.js';
import { APP_DOCKERFILE, type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { type OwnDockerd, startOwnDockerd } from '../helpers/own-dockerd.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

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
  let engine: OwnDockerd;
  let log: DockerCallLog;
  let repo: TestRepo;
  let services: TestServices;

  beforeAll(async () => {
    engine = await startOwnDockerd();
    log = await startDockerCallLog(engine.socket);
    repo = createTestRepo([{ body: 'v1' }]);
    services = await createTestServices({ apps: [gitApp(app, repo.url, await freePort())], docker: log.docker, env: { DOCKER_SOCKET: log.socketPath, DECKHAND_DOCKER_TIMEOUT: '3s' } });
  }, 60_000);

  afterAll(async () => {
    log?.holdRequests(undefined);
    await services?.dispose();
    await log?.stop();
    await engine?.dispose();
    repo?.cleanup();
  }, 60_000);

  it('the failure is docker_unavailable, and still says what failed before Docker went', async () => {
    const first = await services.deploys.deploy({ app, actor: 'U-ops', trigger: 'cli' });
    expect(first.status, `${first.errorCode}: ${first.error}`).toBe('succeeded');
    const broken = repo.commit({ body: 'broken', files: { Dockerfile: APP_DOCKERFILE, 'start.sh': 'echo broken-start; exit 3\n' } });

    log.holdRequests(/^DELETE \/containers\//);
    const deploying = services.deploys.deploy({ app, ref: broken, actor: 'U-ops', trigger: 'cli' });
    for (let waited = 0; log.heldCount() === 0; waited += 50) {
      if (waited > 60_000) throw new Error(`the undo never removed the new container; Docker calls: ${log.sent().join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      await engine.stop();
    } finally {
      log.holdRequests(undefined);
    }
    const deployment = await deploying;
    expect(deployment, `${deployment.errorCode}: ${deployment.error}`).toMatchObject({ status: 'failed', errorCode: 'docker_unavailable' });
    expect(deployment.error).toMatch(/^Docker is not reachable at \S+; could not .*\. Before that, the release had failed: the container .*exited with code 3\b/);
    // The evidence read before Docker went is kept: the failed container's own last lines.
    expect(deployment.logTail).toContain('broken-start');
    await engine.start();
  });
});
