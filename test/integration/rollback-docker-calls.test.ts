import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaddy, type CaddyProcess } from '../helpers/caddy.js';
import { type DockerCallLog, type DockerStep, startDockerCallLog } from '../helpers/docker-call-log.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());
const START = /^POST \/containers\/[0-9a-f]{64}\/start$/;

/**
 * The Docker side of a reuse rollback's critical path, read off the real engine's socket (every request passes
 * through a logging socket to the real engine): the image is asked about once (by the re-check under the lease),
 * the new container is created without a name look-up first and started without an inspect in between; with
 * recreate, the create goes out while the old container is still stopping, and the start once it let go of the port.
 */
describe.skipIf(!enabled)('reuse rollback: the engine is asked only what the critical path needs', () => {
  const app = `e-rbcalls-${process.pid}`;
  let repo: TestRepo;
  let log: DockerCallLog;
  let caddy: CaddyProcess;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    log = await startDockerCallLog();
    caddy = await startCaddy();
  });

  afterAll(async () => {
    await removeAppArtifacts([`${app}-caddy`, `${app}-recreate`]);
    await caddy?.stop();
    await log?.stop();
    repo?.cleanup();
  });

  for (const mode of ['caddy', 'recreate'] as const) {
    it(`${mode}: one image inspect, create, start (recreate: create beside the stop, start once the port is free)`, async () => {
      const name = `${app}-${mode}`;
      const port = await freePort();
      const services = await createTestServices({ apps: [gitApp(name, repo.url, port)], caddyAdminUrl: mode === 'caddy' ? caddy.adminUrl : undefined, docker: log.docker, env: { DECKHAND_DRAIN: '0s' } });
      try {
        const d1 = await services.deploys.deploy({ app: name, ref: repo.commits[0]!, actor: 'U1ALICE', trigger: 'cli' });
        const d2 = await services.deploys.deploy({ app: name, ref: repo.commits[1]!, actor: 'U1ALICE', trigger: 'cli' });
        expect([d1.status, d2.status]).toEqual(['succeeded', 'succeeded']);
        const plan = await services.rollbacks.plan(name, d1.id);
        log.clear();
        // A new port is picked with the ports on deckhand's containers' labels as the previous pick listed them; the
        // next listing goes out beside it and nothing waits for it (host-ports.ts): held unsent, the rollback serves.
        log.holdRequests(/^GET \/containers\/json$/, /deckhand\.port/);
        const { deployment } = await services.rollbacks.rollback(name, d1.id, 'U1ALICE', undefined, undefined, { plan });
        expect(deployment).toMatchObject({ status: 'succeeded', rollbackSource: 'reuse_image', imageId: d1.imageId });
        expect((await get(port)).body).toBe('v1');
        expect(log.heldCount()).toBe(mode === 'caddy' ? 1 : 0);
        log.holdRequests(undefined);

        const labelledPorts = (s: DockerStep) => s.call === 'GET /containers/json' && s.query.includes('deckhand.port');
        const sent = log.steps.filter((s) => s.kind === 'request' && !labelledPorts(s)).map((s) => s.call);
        const upToStart = sent.slice(0, sent.findIndex((call) => START.test(call)) + 1);
        const inspectImage = `GET /images/${d1.imageId}/json`;
        const create = 'POST /containers/create';
        const start = `POST /containers/${deployment.containerId}/start`;
        if (mode === 'caddy') {
          expect(upToStart).toEqual([inspectImage, create, start]);
          return;
        }
        const stop = `POST /containers/${d2.containerId}/stop`;
        // The create goes out beside the row write that says the rollback starts; the stop only once that write landed
        // (database-before-start.test.ts), so the two may reach the engine in either order.
        expect(upToStart.slice(0, 2)).toEqual([inspectImage, 'GET /containers/json']);
        expect(upToStart.slice(2, 4).sort()).toEqual([create, stop].sort());
        expect(upToStart.slice(4)).toEqual([start]);
        // The create is on its way while the old container still stops; the start waits for the port to be free, which
        // may be before Docker answers the stop (recreate-port-release.test.ts).
        const at = (kind: 'request' | 'answered', call: string) => log.steps.findIndex((s) => s.kind === kind && s.call === call);
        expect(at('request', create)).toBeLessThan(at('answered', stop));
        expect(at('request', stop)).toBeLessThan(at('request', start));
      } finally {
        log.holdRequests(undefined);
        await services.dispose();
      }
    });
  }
});
