import { connect } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerCallLog, startDockerCallLog } from '../helpers/docker-call-log.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());
const START = /^POST \/containers\/[0-9a-f]{64}\/start$/;

/** An app that, told to stop, closes its listener at once and then drains for 1.5 s before it exits. */
const DRAINING_START = `echo "starting on port $PORT"
/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www &
pid=$!
trap 'kill $pid; wait $pid; echo "listener closed, draining"; /bin/busybox sleep 1.5; echo drained; exit 0' TERM
wait $pid
`;

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

/**
 * Recreate (no proxy) needs the public port, not the old container's whole stop: the new container starts as soon as
 * nothing listens there any more, while the old one finishes draining; an app with volumes waits for the whole stop
 * (the old one may hold a lock there). Real engine, every call read off its socket.
 */
describe.skipIf(!enabled)('recreate: the new container starts once the old one let go of the port', () => {
  const name = `e-recport-${process.pid}`;
  let repo: TestRepo;
  let log: DockerCallLog;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2', files: { 'start.sh': DRAINING_START } }]);
    log = await startDockerCallLog();
  });
  afterAll(async () => {
    await removeAppArtifacts([name]);
    await log?.stop();
    repo?.cleanup();
  });

  /** v1, then v2 (which drains), then a rollback to v1 through the call log; what the engine saw, in order. */
  async function rollBackFromDraining(name: string, overrides: Parameters<typeof gitApp>[3] = {}) {
    const port = await freePort();
    const services = await createTestServices({ apps: [gitApp(name, repo.url, port, overrides)], docker: log.docker, env: { DECKHAND_DRAIN: '0s' } });
    try {
      const d1 = await services.deploys.deploy({ app: name, ref: repo.commits[0]!, actor: 'U1ALICE', trigger: 'cli' });
      const d2 = await services.deploys.deploy({ app: name, ref: repo.commits[1]!, actor: 'U1ALICE', trigger: 'cli' });
      expect([d1.status, d2.status]).toEqual(['succeeded', 'succeeded']);
      expect((await get(port)).body).toBe('v2');
      log.clear();
      // Whether anything still listens on the public port at the moment the start is sent (the engine then needs far
      // longer than a local connect to start the new container).
      const atStart: Array<Promise<boolean>> = [];
      log.onStep((step) => {
        if (step.kind === 'request' && START.test(step.call)) atStart.push(refused(port));
      });
      const { deployment } = await services.rollbacks.rollback(name, d1.id, 'U1ALICE');
      expect(deployment).toMatchObject({ status: 'succeeded', rollbackSource: 'reuse_image' });
      expect((await get(port)).body).toBe('v1');
      const at = (kind: 'request' | 'answered', call: string) => log.steps.findIndex((s) => s.kind === kind && s.call === call);
      const stop = `POST /containers/${d2.containerId}/stop`;
      const start = `POST /containers/${deployment.containerId}/start`;
      expect(at('request', stop)).toBeGreaterThanOrEqual(0);
      expect(at('request', stop)).toBeLessThan(at('request', start));
      // Never while the old version still listens.
      expect(await Promise.all(atStart)).toEqual([true]);
      // The old one was left to drain to its end, and is stopped.
      const old = new Docker().getContainer(d2.containerId!);
      expect((await old.inspect()).State.Running).toBe(false);
      expect((await old.logs({ stdout: true, stderr: true })).toString('utf8')).toContain('drained');
      return { startedBeforeStopAnswered: at('request', start) < at('answered', stop) };
    } finally {
      await services.dispose();
    }
  }

  it('a rollback away from an app that drains 1.5 s: started before that stop is over, never while the old one listens', async () => {
    expect(await rollBackFromDraining(name)).toEqual({ startedBeforeStopAnswered: true });
  });

  it('with a volume (the old one may hold a lock or a pidfile there) the start waits for the whole stop', async () => {
    const volume = `${name}-data`;
    try {
      expect(await rollBackFromDraining(`${name}-vol`, { container: { volumes: [`${volume}:/data`] } })).toEqual({ startedBeforeStopAnswered: false });
    } finally {
      await removeAppArtifacts([`${name}-vol`]);
      await new Docker().getVolume(volume).remove().catch(() => undefined);
    }
  });
});
