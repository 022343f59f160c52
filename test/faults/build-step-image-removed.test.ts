import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import { buildImageFromRepo, docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * Docker's classic builder takes a step from its cache as an untagged image that may belong to another image's chain.
 * Removing that other image (a prune, a test's cleanup, `docker rmi`) removes its untagged parents too, and a build
 * that is between that cached step and its next one then fails: "No such image: sha256:…" or "unknown parent image
 * ID". CI met it as a failed deploy. Here the race is made certain: the Dockerfile's third step downloads from a
 * local HTTP server, which removes the other image before it answers, while the build waits on that step. A real
 * Docker engine, git repository and Postgres.
 */
describe.skipIf(!enabled)('a build whose cached step image is removed meanwhile', () => {
  const app = `f-stepgone-${process.pid}`;
  const other = `f-stepgone-other-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let gate: Server;
  let port: number;
  /** Requests the gate answered, and what it does (once) before it answers the next one. */
  let hits = 0;
  let beforeAnswer: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    gate = createServer((_request, response) => {
      hits += 1;
      const pending = beforeAnswer;
      beforeAnswer = undefined;
      void (pending?.() ?? Promise.resolve()).finally(() => response.end(`gate ${hits}\n`));
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/gate`;
    // A nonce first: this test's step images are its own, shared with no other test's image.
    const dockerfile = (extra = '') =>
      `FROM scratch\nCOPY nonce /nonce\nCOPY busybox /bin/busybox\nADD ${gateUrl} /gate\n${extra}COPY www /www\nCOPY start.sh /start.sh\nCMD ["/bin/busybox", "sh", "/start.sh"]\n`;
    const nonce = randomUUID();
    repo = createTestRepo([
      { body: 'other', files: { Dockerfile: dockerfile(), nonce } },
      { body: 'v1', files: { Dockerfile: dockerfile(), nonce } },
      { body: 'broken', files: { Dockerfile: dockerfile('COPY not-in-the-tree /x\n'), nonce } },
    ]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)] });
  }, 60_000);
  afterAll(async () => {
    await removeAppArtifacts([app, other]).catch(() => undefined);
    await services?.dispose();
    await new Promise((resolve) => gate?.close(resolve));
    repo?.cleanup();
  }, 60_000);

  const phases = (events: DeployEvent[]) => events.flatMap((e) => (e.type === 'phase' ? [e.message] : []));
  const recording = () => {
    const events: DeployEvent[] = [];
    const stop = services.bus.subscribe((event) => events.push(event));
    return { events, stop };
  };

  it('is built once more and the deploy succeeds; the thread says why', async () => {
    // The other image: its step images (nonce, busybox) are the ones the deploy's build takes from the cache.
    const otherId = await buildImageFromRepo(repo.dir, repo.commits[0]!, `deckhand-test/${other}:1`, other);
    const shared = (await docker().getImage(otherId).history()).map((layer: { Id: string }) => layer.Id).filter((id: string) => id.startsWith('sha256:'));
    let removed: string[] = [];
    beforeAnswer = async () => {
      await docker().getImage(otherId).remove({ force: true });
      const left = new Set((await docker().listImages({ all: true })).map((image) => image.Id));
      removed = shared.filter((id: string) => !left.has(id));
    };
    const before = hits;
    const { events, stop } = recording();
    const deployed = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
    stop();

    // The race happened: the step images the deploy's build had taken from the cache were gone under it.
    expect(removed.length).toBeGreaterThan(1);
    expect(deployed.status, `${deployed.errorCode}: ${deployed.error}`).toBe('succeeded');
    expect(hits - before).toBe(2); // the build that failed and the one that succeeded
    expect(phases(events).filter((m) => /once more/.test(m))).toEqual([expect.stringMatching(/No such image: sha256:|unknown parent image ID/)]);
    expect((await get(port, '/')).body).toBe('v1');
  });

  it('a build that fails for the commit itself is not run again', async () => {
    const before = hits;
    const { events, stop } = recording();
    const failed = await services.deploys.deploy({ app, ref: repo.commits[2]!, actor: 'U-ops', trigger: 'cli' });
    stop();
    expect(failed.status).toBe('failed');
    expect(failed.errorCode).toBe('build_failed');
    expect(hits - before).toBe(1);
    expect(phases(events).some((m) => /once more/.test(m))).toBe(false);
    expect((await get(port, '/')).body).toBe('v1');
  });
});
