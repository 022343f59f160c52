import { type Server, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime, LABEL_APP, LABEL_PORT } from '../../src/adapters/docker/docker-runtime.js';
import { buildImageFromRepo, docker, removeAppArtifacts } from '../helpers/docker.js';
import { createTestRepo } from '../helpers/git-repo.js';
import { haveDocker } from '../helpers/infra.js';

const enabled = await haveDocker();
const APP = `hp-labelled-${process.pid}`;

const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server: Server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });

/** Two consecutive ports below the ranges the suites use, both bindable now. */
async function twoFreePorts(): Promise<number> {
  for (let base = 9900; base < 9990; base += 2) if ((await bindable(base)) && (await bindable(base + 1))) return base;
  throw new Error('no two free ports in 9900–9989');
}

/**
 * A port labelled on a stopped container of deckhand's is that container's: recovery starts it there again, and
 * Docker restarts a crashed one there after a backoff, while nothing listens on it. A new container never gets it.
 */
describe.skipIf(!enabled)('ports labelled on deckhand containers', () => {
  const repo = createTestRepo([{ body: 'labelled' }]);
  let image = '';
  beforeAll(async () => {
    image = await buildImageFromRepo(repo.dir, repo.commits[0]!, `deckhand-test/${APP}:1`, APP);
  });
  afterAll(async () => {
    await removeAppArtifacts([APP]);
    repo.cleanup();
  });

  it('are never handed out while the container exists, running or not', async () => {
    const base = await twoFreePorts();
    // Created and never started: nothing listens on its port, as with one Docker is about to restart.
    const stopped = await docker().createContainer({ Image: image, Labels: { [LABEL_APP]: APP, [LABEL_PORT]: String(base) }, HostConfig: { NetworkMode: 'host' } });
    for (let i = 0; i < 6; i += 1) {
      // a runtime of its own each time: nothing reserved in this process, the pick starts at a random place
      const runtime = new DockerRuntime(docker(), { portRange: { from: base, to: base + 1 } });
      expect(await runtime.freePort()).toBe(base + 1);
    }
    const runtime = new DockerRuntime(docker(), { portRange: { from: base, to: base + 1 } });
    expect(await runtime.freePort()).toBe(base + 1);
    await expect(runtime.freePort()).rejects.toThrow(/No free port left .*labelled on a container of deckhand's/);

    await stopped.remove({ force: true });
    const after = new DockerRuntime(docker(), { portRange: { from: base, to: base } });
    expect(await after.freePort()).toBe(base);
  });
});
