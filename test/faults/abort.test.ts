import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { APP_DOCKERFILE, type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** A build whose one step sleeps far longer than any test: only an abort ends it early. */
const SLOW_BUILD = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sleep", "617"]
COPY www /www
COPY start.sh /start.sh
CMD ["/bin/busybox", "sh", "/start.sh"]
`;

/**
 * Abort (issue 11 item 4) against a real Docker engine, git, Postgres and Caddy, with a request loop through Caddy
 * the whole time: each abort ends the deploy `cancelled` by the person who asked and v1 keeps serving.
 */
describe.skipIf(!enabled)('abort of a running deploy', () => {
  const app = `f-abort-${process.pid}`;
  const watched = `f-abort-w-${process.pid}`;
  let watchedPort: number;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let services: TestServices;
  let dir: string;
  let port: number;
  let v1: string;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }]);
    [v1] = repo.commits as [string];
    caddy = await startCaddy();
    port = await freePort();
    // A long health timeout: the abort, not the timeout, ends the unhealthy deploys below.
    watchedPort = await freePort();
    const watchedApp = gitApp(watched, repo.url, watchedPort, { watchMs: 120_000 });
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 120_000 }), watchedApp], caddyAdminUrl: caddy.adminUrl });
    dir = mkdtempSync(join(tmpdir(), 'deckhand-abort-'));
    writeFileSync(join(dir, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { git: "${repo.url}", branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 120s }\n`);
    expect((await services.deploys.deploy({ app, ref: v1, actor: 'U-alice', trigger: 'cli' })).status).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await removeAppArtifacts([app, watched]);
    await services?.dispose();
    await caddy?.stop();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a deploy of `commit` and resolves once `moment` saw one of its events (the deploy keeps running). */
  async function deployUntil(commit: string, moment: (event: DeployEvent) => boolean, target = app): Promise<{ done: Promise<Deployment>; id: number }> {
    let id = 0;
    let reached!: () => void;
    const seen = new Promise<void>((resolve) => (reached = resolve));
    const unsubscribe = services.bus.subscribe((event) => {
      if (event.deploymentId === id && moment(event)) reached();
    });
    const done = services.deploys.deploy({ app: target, ref: commit, actor: 'U-alice', trigger: 'cli', onStarted: (d) => (id = d.id) });
    await Promise.race([seen, done.then((d) => Promise.reject(new Error(`the deploy ended ${d.status} (${d.error}) before the moment`)))]).finally(unsubscribe);
    return { done, id };
  }

  async function expectCancelledBy(final: Deployment, actor: string): Promise<void> {
    expect(final).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', error: `Cancelled by ${actor}.`, containerId: null });
    // Nothing of the cancelled deploy is left running; v1 (deploy #1) is still what serves and what is current.
    expect((await services.runtime.listContainers(app)).filter((c) => c.deploymentId === final.id)).toEqual([]);
    expect((await services.store.current(app))?.commitSha).toBe(v1);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
    const asked = await services.audit.list({ app, action: 'deploy.abort' });
    expect(asked.find((a) => a.deploymentId === final.id)).toMatchObject({ actor, result: 'ok' });
  }

  it('during the build: the build is killed, the deploy ends cancelled, v1 serves throughout', async () => {
    const slow = repo.commit({ body: 'v2-slow', files: { Dockerfile: SLOW_BUILD } });
    const loop = requestLoop(port, { maxMs: 120_000 });
    try {
      const run = await deployUntil(slow, (e) => e.type === 'log' && /sleep/.test(e.line));
      await services.deploys.abort(app, 'U-bob');
      const final = await run.done;
      const seen = await loop.stop();
      expect(seen.failures).toEqual([]);
      expect(seen.total).toBeGreaterThan(0);
      await expectCancelledBy(final, 'U-bob');
      expect(final.imageId).toBeNull();
      // The engine stops the build when its client goes away: its sleeping step container disappears (bounded wait).
      let sleeping = 1;
      for (let i = 0; i < 60 && sleeping > 0; i++) {
        sleeping = (await docker().listContainers({ all: true })).filter((c) => c.Command.includes('sleep 617')).length;
        if (sleeping > 0) await new Promise((r) => setTimeout(r, 500));
      }
      expect(sleeping).toBe(0);
    } finally {
      await loop.stop();
    }
  }, 120_000);

  it('during health checks: the started container is removed, the deploy ends cancelled, v1 serves throughout', async () => {
    const unhealthy = repo.commit({ body: 'v3-unhealthy', healthy: false, files: { Dockerfile: APP_DOCKERFILE } });
    const loop = requestLoop(port, { maxMs: 120_000 });
    try {
      const run = await deployUntil(unhealthy, (e) => e.type === 'health' && !e.ok);
      const started = (await services.runtime.listContainers(app)).find((c) => c.deploymentId === run.id);
      expect(started?.running).toBe(true);
      await services.deploys.abort(app, 'U-carol');
      const final = await run.done;
      const seen = await loop.stop();
      expect(seen.failures).toEqual([]);
      await expectCancelledBy(final, 'U-carol');
      expect(await services.runtime.inspectContainer(started!.id)).toBeUndefined();
      const phases = (await services.events.list(final.id)).map((e) => e.message);
      expect(phases).toContain('Cancelled by U-carol.');
    } finally {
      await loop.stop();
    }
  }, 120_000);

  it('from the CLI in another process: the running deploy finds the request in the database and ends cancelled', async () => {
    const unhealthy = repo.commit({ body: 'v4-unhealthy', healthy: false });
    const loop = requestLoop(port, { maxMs: 120_000 });
    try {
      const run = await deployUntil(unhealthy, (e) => e.type === 'health' && !e.ok);
      const env = { DATABASE_URL: services.testDb.url!, DECKHAND_DATA_DIR: join(dir, 'data'), DECKHAND_CONFIG: join(dir, 'deckhand.yml'), DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl, DECKHAND_PUBLIC_HOST: '127.0.0.1' };
      const cli = await runCliProcess(['abort', app, '--actor', 'cli:ops'], env);
      const final = await run.done;
      const seen = await loop.stop();
      expect(cli.code, cli.output).toBe(0);
      expect(cli.output).toContain(`Deploy #${run.id} of ${app} was cancelled by cli:ops; #1 still serves.`);
      expect(seen.failures).toEqual([]);
      await expectCancelledBy(final, 'cli:ops');
    } finally {
      await loop.stop();
    }
  }, 120_000);

  it('during the watch window: traffic goes back to v1 at once, the deploy ends cancelled, 0 failed requests', async () => {
    expect((await services.deploys.deploy({ app: watched, ref: v1, actor: 'U-alice', trigger: 'cli' })).status).toBe('succeeded');
    const v5 = repo.commit({ body: 'v5', files: { Dockerfile: APP_DOCKERFILE } });
    const loop = requestLoop(watchedPort, { maxMs: 120_000 });
    try {
      const run = await deployUntil(v5, (e) => e.type === 'phase' && e.phase === 'watch' && e.message.startsWith('Watching'), watched);
      expect(await get(watchedPort)).toEqual({ status: 200, body: 'v5' });
      await services.deploys.abort(watched, 'U-dave');
      const final = await run.done;
      const seen = await loop.stop();
      expect(seen.failures).toEqual([]);
      expect(seen.bodies.get('v5')).toBeGreaterThan(0);
      expect(final).toMatchObject({ status: 'cancelled', errorCode: 'cancelled' });
      expect(final.error).toContain('Cancelled by U-dave.');
      expect(await get(watchedPort)).toEqual({ status: 200, body: 'v1' });
      expect((await services.store.current(watched))?.commitSha).toBe(v1);
      expect((await services.runtime.listContainers(watched)).filter((c) => c.deploymentId === final.id && c.running)).toEqual([]);
      const asked = await services.audit.list({ app: watched, action: 'deploy.abort' });
      expect(asked.find((a) => a.deploymentId === final.id)).toMatchObject({ actor: 'U-dave', result: 'ok' });
    } finally {
      await loop.stop();
    }
  }, 150_000);

  it('with nothing running: not_found, and nothing changes', async () => {
    const before = await services.store.all(app);
    await expect(services.deploys.abort(app, 'U-bob')).rejects.toMatchObject({ code: 'not_found' });
    await expect(services.deploys.abort('no-such-app', 'U-bob')).rejects.toMatchObject({ code: 'unknown_app' });
    expect(await services.store.all(app)).toEqual(before);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
  });
});
