import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** A start that takes a second before the app listens, as a real app's boot does. */
const slowStart = (body: string) => ({
  'start.sh': `echo "starting ${body}"\n/bin/busybox sleep 1\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n`,
});

/** Starts once: started again (the container keeps its files), it exits before it listens. */
const startsOnce = (body: string) => ({
  'start.sh': `if [ -e /ran ]; then echo "${body} will not start twice"; exit 3; fi\n: > /ran\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n`,
});

/**
 * A recreate app (no proxy) whose v1 (started by `v1Files`) serves and whose v2 fails its health check: v1 is deployed
 * before the suite's tests; `deployBroken()` deploys v2 and returns the deployment with the thread's phase lines.
 */
function recreateApp(prefix: string, v1Files: Record<string, string>, healthTimeoutMs: number) {
  const app = `${prefix}-${process.pid}`;
  const s = { app, port: 0 } as { app: string; port: number; repo: TestRepo; services: TestServices };
  beforeAll(async () => {
    s.repo = createTestRepo([
      { body: 'v1', files: v1Files },
      { body: 'v2-broken', healthy: false },
    ]);
    s.port = await freePort();
    s.services = await createTestServices({ apps: [gitApp(app, s.repo.url, s.port, { healthTimeoutMs })], env: { DECKHAND_DRAIN: '0s' } });
    const v1 = await s.services.deploys.deploy({ app, ref: s.repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
  }, 60_000);
  afterAll(async () => {
    await removeAppArtifacts([app]).catch(() => undefined);
    await s.services?.dispose();
    s.repo?.cleanup();
  }, 60_000);
  const deployBroken = async () => {
    const events: DeployEvent[] = [];
    const unsubscribe = s.services.bus.subscribe((event) => events.push(event));
    const deployment = await s.services.deploys.deploy({ app, ref: s.repo.commits[1]!, actor: 'U-ops', trigger: 'cli' }).finally(unsubscribe);
    return { deployment, phases: events.flatMap((e) => (e.type === 'phase' ? [e.message] : [])) };
  };
  return { s, deployBroken };
}

/**
 * Recreate stops the old web before the new one starts; when the new one fails, the undo starts the old one again.
 * The failure is reported only once the old version answers its health path again: at the moment the deploy returns
 * `failed`, one request (no retry) gets the old version, although it takes a second to listen after a start.
 * Real engine, git and Postgres.
 */
describe.skipIf(!enabled)('recreate undo: the failure is reported once the previous version serves again', () => {
  const { s, deployBroken } = recreateApp('i-undo', slowStart('v1'), 3000);

  it('a broken v2 fails; when the deploy returns, v1 answers the first request', async () => {
    const { deployment, phases } = await deployBroken();
    expect(deployment.status).toBe('failed');
    expect(deployment.errorCode).toBe('health_check_failed');
    const answer = await get(s.port, '/', 2000); // at once, once: the undo waited for it
    expect(answer).toEqual({ status: 200, body: 'v1' });
    expect(phases).toContain('The previous container runs again and answers /healthz');
  }, 60_000);
});

describe.skipIf(!enabled)('recreate undo: a previous version that does not come back is said plainly', () => {
  const { s, deployBroken } = recreateApp('i-undo-once', startsOnce('v1'), 1500);

  it('the deploy fails as before, and the thread says the previous container does not serve', async () => {
    const { deployment, phases } = await deployBroken();
    expect(deployment.status).toBe('failed');
    expect(deployment.errorCode).toBe('health_check_failed');
    expect(phases.some((p) => p.startsWith('The previous container runs again'))).toBe(false);
    expect(phases).toContainEqual(expect.stringMatching(new RegExp(`^The previous container was started again, but it does not serve: .+\\. Check it with deckhand status ${s.app}\\.$`)));
  }, 60_000);
});
