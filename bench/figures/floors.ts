/**
 * The floors every other figure is compared with, measured first in the same run (never constants):
 * - bare floor: `docker start` of a created, stopped container of the image + its first 2xx on 127.0.0.1;
 * - node: a bare `node -e 0` start; CLI floor = bare floor + node;
 * - naive baseline: `docker stop old && docker run new` (dockerode) until the new version answers;
 * - loaded floor: the bare floor again while the figures' probe load runs (a probe every 5 ms through Caddy to the
 *   old version), shown beside figures that wait for the new version on a public port.
 */
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { docker } from '../../test/helpers/docker.js';
import { freePort } from '../../test/helpers/ports.js';
import { stats, type Row } from '../report.js';
import { benchRepo, prebuilt } from '../support/apps.js';
import type { BenchContext, Floors } from '../support/context.js';
import { firstAnswer, probeLoad, repeat, spawnTimed } from '../support/measure.js';
import { startCaddy } from '../../test/helpers/caddy.js';
import { CaddyProxy } from '../../src/adapters/proxy/caddy-proxy.js';

/** A created (not started) container of `image` serving on 127.0.0.1:port with host networking. */
export async function createServer(image: string, port: number, app: string, name?: string): Promise<Docker.Container> {
  return docker().createContainer({
    name,
    Image: image,
    Env: [`PORT=${port}`],
    Labels: { 'deckhand.app': app },
    HostConfig: { NetworkMode: 'host' },
  });
}

const p50 = (samples: number[]) => stats(samples).p50;

export async function measureFloors(ctx: Pick<BenchContext, 'quick' | 'defer' | 'name' | 'samples'>): Promise<{ floors: Floors; rows: Row[] }> {
  const app = ctx.name('floor');
  const repo = benchRepo(ctx as BenchContext, [{ body: 'floor-old' }, { body: 'floor-new' }]);
  const [oldImage, newImage] = await prebuilt(ctx as BenchContext, app, repo);
  const port = await freePort();
  const n = ctx.samples(15, 4);

  const container = await createServer(newImage!, port, app);
  await container.start();
  await firstAnswer(port, 'floor-new');
  await container.stop({ t: 0 });
  const bare = await repeat(n, async () => {
    const t = performance.now();
    await container.start();
    const at = await firstAnswer(port, 'floor-new');
    await container.stop({ t: 0 });
    return at - t;
  });
  await container.remove({ force: true });

  await spawnTimed(process.execPath, ['-e', '0']).exited;
  const node = await repeat(n, async () => {
    const run = spawnTimed(process.execPath, ['-e', '0']);
    const { at } = await run.exited;
    return at - run.started;
  });

  // Naive: the old version serves; stop it, run the new one, until the new body answers. Then put the old back (untimed).
  const old = await createServer(oldImage!, port, app);
  const naive = await repeat(n, async () => {
    await old.start();
    await firstAnswer(port, 'floor-old');
    const t = performance.now();
    await old.stop({ t: 0 });
    const fresh = await createServer(newImage!, port, app);
    await fresh.start();
    const at = await firstAnswer(port, 'floor-new');
    await fresh.remove({ force: true });
    return at - t;
  });
  await old.remove({ force: true });

  // Loaded: the old version serves behind Caddy and is probed as a figure probes its public port, while the bare
  // floor's container starts and answers on its own port.
  const caddy = await startCaddy();
  const publicPort = await freePort();
  const oldPort = await freePort();
  const oldServer = await createServer(oldImage!, oldPort, app);
  const loadedServer = await createServer(newImage!, port, app);
  let loaded: number[];
  try {
    await oldServer.start();
    await firstAnswer(oldPort, 'floor-old');
    await new CaddyProxy(caddy.adminUrl, '127.0.0.1').point(app, publicPort, oldPort);
    await firstAnswer(publicPort, 'floor-old');
    loaded = await repeat(n, async () => {
      const load = probeLoad(publicPort);
      try {
        const t = performance.now();
        await loadedServer.start();
        const at = await firstAnswer(port, 'floor-new');
        return at - t;
      } finally {
        await load.stop();
        await loadedServer.stop({ t: 0 });
      }
    });
  } finally {
    await oldServer.remove({ force: true });
    await loadedServer.remove({ force: true });
    await caddy.stop();
  }

  const floors: Floors = {
    bare: { name: 'floor', value: p50(bare) },
    node: { name: 'node -e 0', value: p50(node) },
    cli: { name: 'CLI floor', value: p50(bare) + p50(node) },
    naive: { name: 'naive stop+run', value: p50(naive) },
    loaded: { name: 'floor under the probe load', value: p50(loaded) },
  };
  const rows: Row[] = [
    { figure: 'floor: bare docker start + first 2xx', samples: bare, goal: '(reference)' },
    { figure: 'bare node -e 0 start (CLI floor = floor + this)', samples: node, goal: '(reference)', note: `CLI floor = ${floors.cli.value.toFixed(0)} ms` },
    { figure: 'naive baseline: docker stop old && docker run new', samples: naive, goal: '(reference)' },
    { figure: 'floor under the figures\' probe load (a probe every 5 ms through Caddy to the old version)', samples: loaded, goal: '(reference)', note: `${(floors.loaded.value / floors.bare.value).toFixed(2)}× the bare floor: the probe load alone` },
  ];
  return { floors, rows };
}
