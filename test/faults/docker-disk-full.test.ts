import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { capture } from '../helpers/fault-probes.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useOwnEngineApp } from '../helpers/own-engine-app.js';
import { steadyLoad } from '../helpers/steady-load.js';
import { fillDisk } from '../helpers/tmpfs.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * Docker's own disk full (its data root on a real tmpfs, filled to the last byte), on a Docker engine of the test's
 * own. On a full data root Docker still stops a container, but can neither create one nor start a stopped one again
 * (it writes the container's config first): a version stopped there would stay down. Recreate (no proxy), so the old
 * container is the one that would be stopped. Real engine, git and Postgres; a request loop runs through it all.
 */
describe.skipIf(!enabled)("Docker's disk full", () => {
  const app = `f-docker-disk-${process.pid}`;
  const h = useOwnEngineApp({
    app,
    versions: [{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }],
    engine: { dataRootSize: '256m' },
    env: { DECKHAND_DRAIN: '0s' },
    deployed: 2,
  });

  it('a rollback and a deploy fail with disk_full and stop nothing; once space is freed the rollback serves', async () => {
    const [v2, v1] = await h.services.store.list(app, 2);
    const before = await h.engine.docker.getContainer(v2!.containerId!).inspect();
    const filler = join(h.engine.root, 'data', 'filler');
    fillDisk(filler);

    const load = steadyLoad(h.port, { rate: 100, maxMs: 90_000 });
    const rollback = capture();
    const code = await runCli(['rollback', app, String(v1!.id), '--yes'], { io: rollback.io, services: h.services });
    const deploy = await h.services.deploys.deploy({ app, ref: h.repo.commits[2]!, actor: 'U-ops', trigger: 'cli' });
    await new Promise((resolve) => setTimeout(resolve, 500)); // requests sent after the results reach v2 too
    const result = await load.stop();

    const said = [...rollback.out, ...rollback.err].join('\n');
    expect(code, said).toBe(1);
    expect(rollback.err.at(-1)).toMatch(/^deckhand: disk_full: rollback #\d+ failed: Docker's disk is full: .*no space left on device.*docker system df/);
    expect(deploy, `${deploy.errorCode}: ${deploy.error}`).toMatchObject({ status: 'failed', errorCode: 'disk_full' });
    expect(deploy.error).toMatch(/^Docker's disk is full: .*no space left on device/);
    // v2 served throughout, the same process, never stopped and started again.
    expect(result.total).toBeGreaterThan(50);
    expect(result.failures).toEqual([]);
    expect([...result.bodies.keys()]).toEqual(['v2']);
    const after = await h.engine.docker.getContainer(v2!.containerId!).inspect();
    expect([after.State.Running, after.State.StartedAt, after.State.Pid]).toEqual([true, before.State.StartedAt, before.State.Pid]);
    expect((await h.services.store.current(app))?.id).toBe(v2!.id);

    rmSync(filler);
    const retried = capture();
    expect(await runCli(['rollback', app, String(v1!.id), '--yes'], { io: retried.io, services: h.services }), [...retried.out, ...retried.err].join('\n')).toBe(0);
    expect(await get(h.port, '/', 2000)).toEqual({ status: 200, body: 'v1' });
  }, 120_000);
});
