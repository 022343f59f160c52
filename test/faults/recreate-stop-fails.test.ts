import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import { type DockerCallLog, startDockerCallLog } from '../helpers/docker-call-log.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { answered, get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());
const STOP = /^POST \/containers\/[0-9a-f]{64}\/stop$/;

/**
 * Recreate (no proxy) stops the serving container before the new one starts. Docker may answer that stop with an
 * error after the container did stop (the app exited; the engine's teardown then failed): injected here by letting
 * the stop reach the real engine and answering the client 500 once the engine has answered. The new container
 * starts once the port is free. If it then fails, what was stopped must be started again, although its stop
 * "failed"; if it succeeds, the failed stop is reported and is not made a failure. Real engine, git and Postgres.
 */
describe.skipIf(!enabled)('recreate: a stop that Docker answers with an error after it took effect', () => {
  const app = `f-stopfail-${process.pid}`;
  let repo: TestRepo;
  let log: DockerCallLog;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3-broken', healthy: false }]);
    log = await startDockerCallLog();
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 1500 })], docker: log.docker, env: { DECKHAND_DRAIN: '0s' } });
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
  }, 60_000);
  afterAll(async () => {
    log?.failAnswers(undefined);
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    await log?.stop();
    repo?.cleanup();
  }, 60_000);

  const deployWithFailingStops = async (ref: string, unseen = false) => {
    const events: DeployEvent[] = [];
    const unsubscribe = services.bus.subscribe((event) => events.push(event));
    log.failAnswers(STOP, { unseen });
    try {
      const deployment = await services.deploys.deploy({ app, ref, actor: 'U-ops', trigger: 'cli' });
      return { deployment, phases: events.flatMap((e) => (e.type === 'phase' ? [e.message] : [])) };
    } finally {
      log.failAnswers(undefined);
      unsubscribe();
    }
  };

  it('the new version fails its health check: the previous container, stopped although Docker said no, serves again', async () => {
    const before = (await services.store.current(app))!;
    const { deployment, phases } = await deployWithFailingStops(repo.commits[2]!);
    expect(deployment.status).toBe('failed');
    expect(deployment.errorCode).toBe('health_check_failed');
    expect(phases).toContain('The previous container runs again and answers /healthz');
    expect((await docker().getContainer(before.containerId!).inspect()).State.Running).toBe(true);
    // Started again (its app takes a moment to listen): v1 answers again. Recreate is down meanwhile, as it says.
    expect(await answered(port)).toMatchObject({ status: 200, body: 'v1' });
  });

  it('the new version is healthy: it serves, and the failed stop is reported, not made a failure', async () => {
    const { deployment, phases } = await deployWithFailingStops(repo.commits[1]!);
    expect(deployment.status, `${deployment.errorCode}: ${deployment.error}`).toBe('succeeded');
    expect(phases.filter((m) => m.startsWith('Could not stop the previous container cleanly'))).toHaveLength(1);
    expect(await get(port, '/')).toMatchObject({ status: 200, body: 'v2' });
  });

  it('a stop Docker refuses (nothing stopped): nothing starts on the taken port, and the old version serves throughout', async () => {
    const serving = (await services.store.current(app))!;
    log.clear();
    const loop = requestLoop(port, { maxMs: 60_000 });
    const { deployment } = await deployWithFailingStops(repo.commits[1]!, true);
    const result = await loop.stop();
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatch(/injected by the test/);
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThan(10);
    expect(await services.store.current(app)).toMatchObject({ id: serving.id });
    // The new container was never started (the old one's start, a no-op on a running container, is the undo's).
    const starts = log.sent().filter((call) => /^POST \/containers\/[0-9a-f]{64}\/start$/.test(call));
    expect(starts.filter((call) => !call.includes(serving.containerId!))).toEqual([]);
  });
});
