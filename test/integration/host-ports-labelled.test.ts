import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime, LABEL_APP, LABEL_PORT } from '../../src/adapters/docker/docker-runtime.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { BUSYBOX } from '../helpers/git-repo.js';
import { haveDocker } from '../helpers/infra.js';
import { twoFreePorts } from '../helpers/ports.js';

const enabled = await haveDocker();
const APP = `hp-labelled-${process.pid}`;


/**
 * A port labelled on a stopped container of deckhand's is that container's: recovery starts it there again, and
 * Docker restarts a crashed one there after a backoff, while nothing listens on it. A new container never gets it.
 */
describe.skipIf(!enabled)('ports labelled on deckhand containers', () => {
  // Imported from a tarball of busybox, not built: its one layer is its own, and removing it at the end cannot take a
  // cached build step from a suite building beside this one.
  const image = `deckhand-test/${APP}:1`;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp-labelled-'));
    try {
      mkdirSync(join(dir, 'root', 'bin'), { recursive: true });
      copyFileSync(BUSYBOX, join(dir, 'root', 'bin', 'busybox'));
      const tar = spawnSync('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'root.tar'), 'bin'], { encoding: 'utf8' });
      if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
      const engine = docker();
      const stream = await engine.importImage(join(dir, 'root.tar'), { repo: `deckhand-test/${APP}`, tag: '1' });
      await new Promise((resolve, reject) => engine.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve(undefined))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await removeAppArtifacts([APP]);
    await docker().getImage(image).remove({ force: true }).catch(() => undefined);
  });

  it('are never handed out while the container exists, running or not', async () => {
    const base = await twoFreePorts(9900, 9990);
    // Created and never started: nothing listens on its port, as with one Docker is about to restart.
    const stopped = await docker().createContainer({ Image: image, Cmd: ['/bin/busybox', 'sleep', '1'], Labels: { [LABEL_APP]: APP, [LABEL_PORT]: String(base) }, HostConfig: { NetworkMode: 'host' } });
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
