/**
 * The floors every other figure is compared with, measured first in the same run (never constants):
 * - bare floor: `docker start` of a created, stopped container of the image + its first 2xx on 127.0.0.1;
 * - node: a bare `node -e 0` start; CLI floor = bare floor + node;
 * - naive baseline: `docker stop old && docker run new` (dockerode) until the new version answers.
 */
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { docker } from '../../test/helpers/docker.js';
import { freePort } from '../../test/helpers/ports.js';
import { stats, type Row } from '../report.js';
import { benchRepo, prebuilt } from '../support/apps.js';
import type { BenchContext, Floors } from '../support/context.js';
import { firstAnswer, repeat, spawnTimed } from '../support/measure.js';

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

  const floors: Floors = {
    bare: { name: 'floor', value: p50(bare) },
    node: { name: 'node -e 0', value: p50(node) },
    cli: { name: 'CLI floor', value: p50(bare) + p50(node) },
    naive: { name: 'naive stop+run', value: p50(naive) },
  };
  const rows: Row[] = [
    { figure: 'floor: bare docker start + first 2xx', samples: bare, goal: '(reference)' },
    { figure: 'bare node -e 0 start (CLI floor = floor + this)', samples: node, goal: '(reference)', note: `CLI floor = ${floors.cli.value.toFixed(0)} ms` },
    { figure: 'naive baseline: docker stop old && docker run new', samples: naive, goal: '(reference)' },
  ];
  return { floors, rows };
}
