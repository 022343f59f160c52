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

/**
 * Recreate stops the old web before the new one starts; when the new one fails, the undo starts the old one again.
 * The failure is reported only once the old version answers its health path again: at the moment the deploy returns
 * `failed`, one request (no retry) gets the old version, although it takes a second to listen after a start.
 * Real engine, git and Postgres.
 */
describe.skipIf(!enabled)('recreate undo: the failure is reported once the previous version serves again', () => {
  const app = `i-undo-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([
      { body: 'v1-slow', files: slowStart('v1-slow') },
      { body: 'v2-broken', healthy: false },
    ]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 3000 })], env: { DECKHAND_DRAIN: '0s' } });
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
  }, 60_000);
  afterAll(async () => {
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    repo?.cleanup();
  }, 60_000);

  it('a broken v2 fails; when the deploy returns, v1 answers the first request', async () => {
    const events: DeployEvent[] = [];
    const unsubscribe = services.bus.subscribe((event) => events.push(event));
    const deployment = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli' }).finally(unsubscribe);
    expect(deployment.status).toBe('failed');
    expect(deployment.errorCode).toBe('health_check_failed');
    const answer = await get(port, '/', 2000); // at once, once: the undo waited for it
    expect(answer).toEqual({ status: 200, body: 'v1-slow' });
    const phases = events.flatMap((e) => (e.type === 'phase' ? [e.message] : []));
    expect(phases).toContain('The previous container runs again and answers /healthz');
  }, 60_000);
});

/** Starts once: started again (the container keeps its files), it exits before it listens. */
const startsOnce = (body: string) => ({
  'start.sh': `if [ -e /ran ]; then echo "${body} will not start twice"; exit 3; fi\n: > /ran\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n`,
});

describe.skipIf(!enabled)('recreate undo: a previous version that does not come back is said plainly', () => {
  const app = `i-undo-once-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([
      { body: 'v1-once', files: startsOnce('v1-once') },
      { body: 'v2-broken', healthy: false },
    ]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 1500 })], env: { DECKHAND_DRAIN: '0s' } });
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
  }, 60_000);
  afterAll(async () => {
    await removeAppArtifacts([app]).catch(() => undefined);
    await services?.dispose();
    repo?.cleanup();
  }, 60_000);

  it('the deploy fails as before, and the thread says the previous container does not serve', async () => {
    const events: DeployEvent[] = [];
    const unsubscribe = services.bus.subscribe((event) => events.push(event));
    const deployment = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli' }).finally(unsubscribe);
    expect(deployment.status).toBe('failed');
    expect(deployment.errorCode).toBe('health_check_failed');
    const phases = events.flatMap((e) => (e.type === 'phase' ? [e.message] : []));
    expect(phases.some((p) => p.startsWith('The previous container runs again'))).toBe(false);
    expect(phases).toContainEqual(expect.stringMatching(new RegExp(`^The previous container was started again, but it does not serve: .+\\. Check it with deckhand status ${app}\\.$`)));
  }, 60_000);
});
