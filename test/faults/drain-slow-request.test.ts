import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath } from '../../src/adapters/proxy/managed-caddy.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo, slowCgiFiles } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { steadyLoad } from '../helpers/steady-load.js';

const enabled = (await haveDocker()) && (await havePostgres()) && onPath('caddy') !== undefined;

/**
 * A request slower than DECKHAND_DRAIN, in flight on the old version when traffic moves: the old version is stopped
 * only once the proxy has no connection left open to it (up to its stop timeout). Before, it was stopped when the
 * drain's fixed wait ended, and Caddy answered that request 502: the switch's config load had ended the old route's
 * retries. Real Docker, deckhand's own Caddy and Postgres; a request loop runs throughout.
 */
describe.skipIf(!enabled)('the drain waits for requests still open on the old version', () => {
  const app = `f-drainslow-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    // v1 has a CGI that answers after 5 s: a request v1 is still answering when the drain (1 s) is over.
    repo = createTestRepo([{ body: 'v1', files: slowCgiFiles(5, 'slow-v1') }, { body: 'v2' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '1s' } });
  }, 60_000);

  afterAll(async () => {
    services?.managedProxy?.caddy.stop();
    await services?.dispose();
    await removeAppArtifacts([app]).catch(() => undefined);
    repo?.cleanup();
  }, 60_000);

  it('a request slower than the drain gets its answer from the old version, which is stopped after it', async () => {
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status, v1.error ?? '').toBe('succeeded');
    const load = steadyLoad(port, { rate: 30, maxMs: 60_000 });
    try {
      // Sent as v2 is found healthy, just before the switch: v1 answers it, and is still at it when the drain ends.
      let slow: ReturnType<typeof get> | undefined;
      let id = 0;
      const unsubscribe = services.bus.subscribe((event) => {
        if (event.deploymentId === id && event.type === 'health' && event.ok) slow ??= get(port, '/cgi-bin/slow.cgi', 15_000);
      });
      const v2 = await services.deploys
        .deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli', onStarted: (d) => (id = d.id) })
        .finally(unsubscribe);
      expect(v2.status, v2.error ?? '').toBe('succeeded');
      expect(slow).toBeDefined();
      expect(await slow).toEqual({ status: 200, body: 'slow-v1\n' });
      const phases = (await services.events.list(v2.id)).map((e) => e.message);
      // One, or more when a request of the loop was still on its way there too.
      expect(phases).toContainEqual(expect.stringMatching(/^\d+ requests? still open on the previous version after the drain: waiting for (it|them) \(up to 30s\)$/));
      expect(phases.some((m) => m.includes('anyway'))).toBe(false);
      // The old version was stopped all the same, once its request was answered.
      const containers = await services.runtime.listContainers(app);
      expect(containers.find((c) => c.deploymentId === v1.id)?.running).toBe(false);
      expect(await get(port)).toEqual({ status: 200, body: 'v2' });
    } finally {
      const seen = await load.stop();
      expect(seen.failures).toEqual([]);
      expect(seen.bodies.get('v1')).toBeGreaterThan(0);
      expect(seen.bodies.get('v2')).toBeGreaterThan(0);
    }
  }, 120_000);
});
