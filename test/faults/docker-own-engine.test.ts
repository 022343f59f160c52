import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answered, get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { type OwnDockerd, buildBusyboxImage, startOwnDockerd } from '../helpers/own-dockerd.js';
import { freePort } from '../helpers/ports.js';

const enabled = await haveDocker();

/** The fault suites' own engine: stopping or killing it never touches the main one, and it comes back on its data. */
describe.skipIf(!enabled)('own dockerd', () => {
  let engine: OwnDockerd;
  beforeAll(async () => {
    engine = await startOwnDockerd();
  }, 60_000);
  afterAll(async () => {
    await engine?.dispose();
  }, 60_000);

  async function runApp(name: string, port: number) {
    const container = await engine.docker.createContainer({
      name,
      Image: 'f-docker-own:1',
      Env: [`PORT=${port}`],
      HostConfig: { NetworkMode: 'host', Init: true, RestartPolicy: { Name: 'unless-stopped' } },
    });
    await container.start();
    await answered(port, 5_000);
    return container;
  }

  it('stops and starts on the same data root; unless-stopped containers come back after a clean stop', async () => {
    const mainBefore = await import('../helpers/docker.js').then((m) => m.docker().ping());
    await buildBusyboxImage(engine.docker, 'f-docker-own:1', { body: 'own' });
    const port = await freePort();
    const container = await runApp('f-docker-own-clean', port);
    expect((await get(port)).body).toBe('own');

    await engine.stop();
    await expect(engine.docker.ping()).rejects.toThrow();
    await expect(get(port, '/', 1000)).rejects.toThrow();
    expect(String(await import('../helpers/docker.js').then((m) => m.docker().ping()))).toBe(String(mainBefore));

    await engine.start();
    let state = await container.inspect();
    for (let i = 0; i < 100 && !state.State.Running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await container.inspect();
    }
    expect(state.State.Running).toBe(true);
    expect((await get(port)).body).toBe('own');
    await container.remove({ force: true });
  });

  it('after a crash (SIGKILL) the app serves on while the engine is gone; the restarted engine leaves it exited', async () => {
    const port = await freePort();
    const container = await runApp('f-docker-own-crash', port);
    await engine.kill();
    await expect(engine.docker.ping()).rejects.toThrow();
    expect((await get(port)).body).toBe('own');
    await engine.start();
    const state = await container.inspect();
    expect(state.State.Running).toBe(false);
    expect(state.State.ExitCode).toBe(143);
    await container.remove({ force: true });
  });
});
