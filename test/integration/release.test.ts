import { type Server, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * The release phase (issue 11 item 5) on a real Docker engine: the release command reports to a counter on the
 * host (host networking, the app's env in its URL), so "exactly once per deploy" is counted, not inferred.
 */
describe.skipIf(!enabled)('release phase (run.release)', () => {
  const okApp = `f-abort-rel-${process.pid}`;
  const badApp = `f-abort-relbad-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let services: TestServices;
  let counter: Server;
  let okPort: number;
  let badPort: number;
  let v1: string, v2: string, broken: string;
  const hits: string[] = [];
  const okIds: number[] = [];
  let release: string[];
  const events: DeployEvent[] = [];

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3-broken-migration', files: { 'www/broken': 'yes' } }]);
    [v1, v2, broken] = repo.commits as [string, string, string];
    counter = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('ok');
    });
    const counterPort = await freePort();
    await new Promise<void>((resolve) => counter.listen(counterPort, '127.0.0.1', resolve));
    // The app's own command (run by the app's image, not by deckhand): report, print a secret, succeed or fail.
    release = ['/bin/busybox', 'sh', '-c', `echo "migrating with $API_TOKEN"; if [ -f /www/broken ]; then echo "migration 0042 failed: relation exists"; exit 3; fi; if [ -f /www/slow ]; then echo "long migration"; /bin/busybox sleep 613; fi; /bin/busybox wget -q -O - "http://127.0.0.1:${counterPort}/migrate?app=$MARK"`];
    caddy = await startCaddy();
    okPort = await freePort();
    badPort = await freePort();
    const env = (mark: string) => ({ MARK: mark, API_TOKEN: 'tok-release-5e4d3c' });
    services = await createTestServices({
      apps: [gitApp(okApp, repo.url, okPort, { env: env('ok'), release }), gitApp(badApp, repo.url, badPort, { env: env('bad'), release })],
      caddyAdminUrl: caddy.adminUrl,
    });
    services.bus.subscribe((event) => events.push(event));
  }, 60_000);

  afterAll(async () => {
    await removeAppArtifacts([okApp, badApp]);
    await services?.dispose();
    await caddy?.stop();
    await new Promise((resolve) => counter?.close(resolve));
    repo?.cleanup();
  });

  const deploy = (app: string, ref: string) => services.deploys.deploy({ app, ref, actor: 'U-alice', trigger: 'cli' });
  const logOf = (id: number) => events.filter((e): e is Extract<DeployEvent, { type: 'log' }> => e.type === 'log' && e.deploymentId === id).map((e) => e.line);
  const releaseContainers = async () => (await docker().listContainers({ all: true, filters: { label: ['deckhand.release'] } })).filter((c) => [okApp, badApp].includes(c.Labels['deckhand.release']!));

  it('runs once per deploy, before the new container starts, with the app env; its output streams redacted', async () => {
    const d1 = await deploy(okApp, v1);
    expect(d1.status).toBe('succeeded');
    expect(hits).toEqual(['/migrate?app=ok']);
    const phases = (await services.events.list(d1.id)).map((e) => e.message);
    const released = phases.indexOf('The release command succeeded');
    expect(released).toBeGreaterThan(-1);
    expect(released).toBeLessThan(phases.findIndex((m) => m.startsWith('Starting container')));
    expect(logOf(d1.id)).toContain('migrating with ***');
    expect(JSON.stringify(events)).not.toContain('tok-release-5e4d3c');

    const d2 = await deploy(okApp, v2);
    expect(d2.status).toBe('succeeded');
    expect(hits).toEqual(['/migrate?app=ok', '/migrate?app=ok']);
    expect(await get(okPort)).toEqual({ status: 200, body: 'v2' });
    okIds.push(d1.id, d2.id);
    // The one-off container is gone, and it never counted as one of the app's containers.
    expect(await releaseContainers()).toEqual([]);
    expect((await services.runtime.listContainers(okApp)).map((c) => c.deploymentId).sort()).toEqual([d1.id, d2.id]);
  }, 120_000);

  it('a rollback skips it unless asked (--release), and its plan says which', async () => {
    const before = hits.length;
    const rollback = async (id: number, ...flags: string[]) => {
      const out: string[] = [];
      const code = await runCli(['rollback', okApp, String(id), ...flags], { io: { out: (t) => out.push(t), err: (t) => out.push(t) }, services, confirm: async () => true });
      expect(code, out.join('\n')).toBe(0);
      return out.join('\n');
    };
    expect(await rollback(okIds[0]!)).toContain(`Release phase: skipped (${release.join(' ')} does not run on a rollback unless --release).`);
    expect(hits.length).toBe(before);
    expect(await rollback(okIds[1]!, '--release')).toContain(`Release phase: runs ${release.join(' ')} before traffic moves (--release).`);
    expect(hits.length).toBe(before + 1);
    expect(await get(okPort)).toEqual({ status: 200, body: 'v2' });
  }, 120_000);

  it('an abort during the release kills its container; the deploy ends cancelled and nothing else ran', async () => {
    const slow = repo.commit({ body: 'v4-slow-migration', files: { 'www/slow': 'yes' } });
    const before = hits.length;
    let id = 0;
    let reached!: () => void;
    const migrating = new Promise<void>((resolve) => (reached = resolve));
    const unsubscribe = services.bus.subscribe((e) => {
      if (e.deploymentId === id && e.type === 'log' && e.line === 'long migration') reached();
    });
    const done = services.deploys.deploy({ app: okApp, ref: slow, actor: 'U-alice', trigger: 'cli', force: true, onStarted: (d) => (id = d.id) });
    await Promise.race([migrating, done.then((d) => Promise.reject(new Error(`ended ${d.status}: ${d.error}`)))]).finally(unsubscribe);
    expect(await releaseContainers()).toHaveLength(1);
    // The one-off carries the image's labels, but is never one of the app's containers (what serves, what to stop).
    expect((await services.runtime.listContainers(okApp)).some((c) => c.deploymentId === id)).toBe(false);
    await services.deploys.abort(okApp, 'U-bob');
    const final = await done;
    expect(final).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', error: 'Cancelled by U-bob.' });
    expect(hits.length).toBe(before);
    expect(await releaseContainers()).toEqual([]);
    expect((await services.runtime.listContainers(okApp)).filter((c) => c.deploymentId === final.id)).toEqual([]);
    expect(await get(okPort)).toEqual({ status: 200, body: 'v2' });
  }, 120_000);

  it('a failing release stops the deploy with release_failed and its output; nothing starts, the old version serves', async () => {
    const d1 = await deploy(badApp, v1);
    expect(d1.status).toBe('succeeded');
    const loop = requestLoop(badPort, { maxMs: 60_000 });
    let failed: Awaited<ReturnType<typeof deploy>>;
    try {
      failed = await deploy(badApp, broken);
    } finally {
      const seen = await loop.stop();
      expect(seen.failures).toEqual([]);
    }
    failed = failed!;
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'release_failed', containerId: null });
    expect(failed.error).toContain('exited with code 3');
    expect(failed.error).toContain('migration 0042 failed: relation exists');
    expect(failed.error).not.toContain('tok-release-5e4d3c');
    expect(failed.logTail).toContain('migration 0042 failed: relation exists');
    expect((await services.runtime.listContainers(badApp)).map((c) => c.deploymentId)).toEqual([d1.id]);
    expect(await releaseContainers()).toEqual([]);
    expect(await get(badPort)).toEqual({ status: 200, body: 'v1' });
    expect((await services.store.current(badApp))?.id).toBe(d1.id);
  }, 120_000);
});
