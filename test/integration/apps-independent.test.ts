import { type Server, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * A version that boots until the test lets it (a real HTTP server on 127.0.0.1 answers its `wget` 503, then 200):
 * its deploy sits in its health wait meanwhile, however slow the machine.
 */
const bootsWhenLetGo = (goPort: number) => ({
  'start.sh': `echo "booting"\nuntil /bin/busybox wget -q -O /dev/null http://127.0.0.1:${goPort}/go; do /bin/busybox sleep 0.1; done\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n`,
});

/**
 * Issue 12: "no global queue, lock or Slack pacing shared across apps". One engine (real Docker, git and Postgres),
 * two apps from two repositories. While one app's deploy waits for its slow new version to answer (and holds that
 * app's lease), the other app deploys from git, rolls back and deploys again, to the end: none of it waits for the
 * slow one, which is still in flight when all of it has finished. With any queue or lock shared across apps, the
 * quick app's work would finish only after the slow deploy did.
 */
describe.skipIf(!enabled)('apps deploy independently: one slow deploy holds nothing another app needs', () => {
  const slow = `i-indep-slow-${process.pid}`;
  const quick = `i-indep-quick-${process.pid}`;
  let slowRepo: TestRepo;
  let quickRepo: TestRepo;
  let services: TestServices;
  let quickPort: number;
  let go: Server;
  let letGo = false;

  beforeAll(async () => {
    go = createServer((_req, res) => res.writeHead(letGo ? 200 : 503).end());
    await new Promise<void>((resolve) => go.listen(0, '127.0.0.1', resolve));
    slowRepo = createTestRepo([{ body: 'slow-v1' }, { body: 'slow-v2', files: bootsWhenLetGo((go.address() as { port: number }).port) }]);
    quickRepo = createTestRepo([{ body: 'quick-v1' }, { body: 'quick-v2' }, { body: 'quick-v3' }]);
    quickPort = await freePort();
    services = await createTestServices({
      apps: [gitApp(slow, slowRepo.url, await freePort(), { healthTimeoutMs: 90_000 }), gitApp(quick, quickRepo.url, quickPort)],
      env: { DECKHAND_DRAIN: '0s' },
    });
  }, 60_000);

  afterAll(async () => {
    await removeAppArtifacts([slow, quick]).catch(() => undefined);
    await services?.dispose();
    slowRepo?.cleanup();
    quickRepo?.cleanup();
    go?.close();
  }, 60_000);

  it("the other app's deploy, rollback and deploy all finish while the slow deploy still waits for health", async () => {
    const [s1, q1] = await Promise.all([
      services.deploys.deploy({ app: slow, ref: slowRepo.commits[0]!, actor: 'U-ops', trigger: 'cli' }),
      services.deploys.deploy({ app: quick, ref: quickRepo.commits[0]!, actor: 'U-ops', trigger: 'cli' }),
    ]);
    expect([s1.status, q1.status]).toEqual(['succeeded', 'succeeded']);

    const healthAttempts: number[] = [];
    const unsubscribe = services.bus.subscribe((event) => {
      if (event.app === slow && event.type === 'health') healthAttempts.push(Date.now());
    });
    const slowDeploy = services.deploys.deploy({ app: slow, ref: slowRepo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
    try {
      // The slow deploy is past its build and start, in its health wait, holding its app's lease.
      for (let i = 0; i < 600 && healthAttempts.length < 3; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(healthAttempts.length).toBeGreaterThanOrEqual(3);
      const [waiting] = await services.store.inFlight(slow);
      expect(waiting?.status).toBe('starting');

      const q2 = await services.deploys.deploy({ app: quick, ref: quickRepo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
      expect(q2.status).toBe('succeeded');
      expect((await get(quickPort, '/')).body.trim()).toBe('quick-v2');
      const { deployment: back } = await services.rollbacks.rollback(quick, q1.id, 'U-ops');
      expect(back.status).toBe('succeeded');
      expect((await get(quickPort, '/')).body.trim()).toBe('quick-v1');
      // A rollback locks its app; the next deploy of it is forced, as a person would after the fix.
      const q3 = await services.deploys.deploy({ app: quick, ref: quickRepo.commits[2]!, actor: 'U-ops', trigger: 'cli', force: true });
      expect(q3.status).toBe('succeeded');
      expect((await get(quickPort, '/')).body.trim()).toBe('quick-v3');

      // All of it done, and the slow deploy is still where it was: nothing of the quick app waited for it.
      expect((await services.store.inFlight(slow)).map((d) => [d.id, d.status])).toEqual([[waiting!.id, 'starting']]);
    } finally {
      letGo = true;
      const s2 = await slowDeploy.finally(unsubscribe);
      expect(s2.status).toBe('succeeded');
    }
  }, 180_000);
});
