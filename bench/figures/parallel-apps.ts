/**
 * 20 apps deployed at once through the bot (20 signed `/deploy <app> <tag>` at the same moment, one channel,
 * prebuilt images, recreate strategy) beside one app deployed alone through the same bot: each timed from its
 * command to its new version answering on its own port. Beside them, Docker alone doing the same: 20 bare containers
 * restarted at once, and 20 naive `docker stop old && docker run new` at once probed from the stop on, as the deploys
 * are from their command (on 2 cores the engine itself slows about 20× from one to twenty; the naive line shows what
 * of the parallel time is the engine's, and what deckhand adds to it).
 */
import { performance } from 'node:perf_hooks';
import type { AppSpec } from '../../src/domain/apps.js';
import { freePort } from '../../test/helpers/ports.js';
import { gitApp } from '../../test/helpers/services.js';
import { stats } from '../report.js';
import { benchRepo, prebuilt } from '../support/apps.js';
import { type BenchBot, startBenchBot } from '../support/bot.js';
import type { Figure } from '../support/context.js';
import { firstAnswer } from '../support/measure.js';
import { docker, removeAppArtifacts } from '../../test/helpers/docker.js';

const APPS = 20;

export const parallelApps: Figure = {
  title: '20 apps deployed at once through the bot',
  async run(ctx) {
    const base = ctx.name('par');
    const repo = benchRepo(ctx, [{ body: 'par-v1' }, { body: 'par-v2' }]);
    const [v1, v2] = await prebuilt(ctx, base, repo);
    const specs: AppSpec[] = [];
    for (let i = 0; i < APPS; i += 1) {
      // The health timeout of a real app (30 s, as in bench deckhand.yml), not the tests' 4 s: 20 starts at once on
      // 2 cores, beside whatever else the machine runs (CI runs this right after the suites), may take longer.
      const spec = gitApp(`${base}-${i}`, 'unused', await freePort(), { healthTimeoutMs: 30_000 });
      specs.push({ ...spec, source: { kind: 'image', image: v1!, pull: 'missing' } });
    }
    ctx.defer(() => removeAppArtifacts(specs.map((s) => s.name)));
    const b = await startBenchBot(ctx, specs);
    const serving = new Map<string, number>();
    await Promise.all(specs.map(async (s) => {
      const d = await b.services.deploys.deploy({ app: s.name, ref: '1', actor: 'bench', trigger: 'cli' });
      if (d.status !== 'succeeded') throw new Error(`setup deploy of ${s.name} failed: ${d.error} (its log ends: ${(d.logTail ?? []).slice(-3).join(' | ') || 'nothing'})`);
      serving.set(s.name, 1);
    }));
    const solo = [];
    for (let i = 0; i < ctx.samples(6, 2); i += 1) solo.push(await deployOne(b, specs[0]!, serving));
    const together: number[] = [];
    for (let round = 0; round < ctx.samples(3, 1); round += 1) together.push(...(await Promise.all(specs.map((s) => deployOne(b, s, serving)))));
    const alone = stats(solo).p50;
    const worst = Math.max(...together) / alone;
    // The same-run floor for the parallel line: 20 bare containers of the image stopped and started at once, as a
    // recreate deploy does (stop old, start new), each timed to its first 2xx. On 2 cores Docker itself slows down;
    // this shows how much of the parallel time is Docker's and how much is deckhand's.
    const parallelFloor = await bareParallel(ctx, v1!, base, ctx.samples(3, 1));
    const floorP50 = stats(parallelFloor).p50;
    // And the naive baseline of the same: 20 `docker stop old && docker run new` at once (a new container of the other
    // version each, as a deploy makes), probed from the stop on as the deploys are from their command: what Docker
    // alone takes for the work 20 deploys ask of it, under the same probe load, with none of deckhand's.
    const naiveParallel = await naiveParallelDeploys(ctx, [v1!, v2!], `${base}-naive`, ctx.samples(3, 1));
    const naiveP50 = stats(naiveParallel).p50;
    return [
      { figure: 'one app deployed alone through the bot (command → serving)', samples: solo, floor: ctx.floors.bare, goal: '(reference for the next line)' },
      { figure: `${APPS} apps deployed at once through the bot, each (command → serving)`, samples: together, floor: { name: 'one app alone', value: alone }, goal: 'each within 1.2× its solo time', note: `slowest ${worst.toFixed(2)}× alone; prebuilt images; ${(stats(together).p50 / naiveP50).toFixed(2)}× the parallel naive baseline below (Docker doing the same 20 deploys' work at once, probed the same way: what is left is deckhand's share), ${(stats(together).p50 / floorP50).toFixed(2)}× the parallel restart floor; Docker alone slows ${(naiveP50 / ctx.floors.naive.value).toFixed(1)}× from one naive stop+run to 20 at once, deckhand ${(stats(together).p50 / alone).toFixed(1)}×` },
      { figure: `floor: ${APPS} bare containers stopped and started at once, each (start → first 2xx)`, samples: parallelFloor, goal: '(reference: Docker alone under the same parallel load)' },
      { figure: `naive baseline: ${APPS} \`docker stop old && docker run new\` at once, each (stop → first 2xx)`, samples: naiveParallel, goal: '(reference: the Docker work of 20 deploys, without deckhand)' },
    ];
  },
};

async function deployOne(b: BenchBot, spec: AppSpec, serving: Map<string, number>): Promise<number> {
  const next = serving.get(spec.name) === 1 ? 2 : 1;
  const t = performance.now();
  await b.command('/deploy', `${spec.name} ${next}`);
  const at = await firstAnswer(spec.run.port, `par-v${next}`, 60_000).catch(async (error: Error) => {
    const [last] = await b.services.store.list(spec.name, 1);
    const outcome = last ? `its last deploy #${last.id} is ${last.status}${last.error ? ` (${last.errorCode}: ${last.error})` : ''}` : 'no deploy recorded';
    throw new Error(`${spec.name}: ${error.message}; ${outcome}`);
  });
  await b.settled(spec.name);
  serving.set(spec.name, next);
  return at - t;
}

/** 20 running bare containers of `image`; per round, each is stopped and started again at once, timed to its first 2xx. */
async function bareParallel(ctx: Parameters<Figure['run']>[0], image: string, base: string, rounds: number): Promise<number[]> {
  const app = `${base}-bare`;
  ctx.defer(() => removeAppArtifacts([app]));
  const servers = await bareServers(image, app);
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    samples.push(
      ...(await Promise.all(
        servers.map(async ({ container, port }) => {
          const t = performance.now();
          await container.stop({ t: 10 });
          await container.start();
          return (await firstAnswer(port, 'par-v1')) - t;
        }),
      )),
    );
  }
  return samples;
}

/**
 * 20 running bare containers of the first image; per round, each is stopped and a new container of the other image
 * run in its place, all at once, each timed from its stop to the new version's first answer (probed from the stop on).
 */
async function naiveParallelDeploys(ctx: Parameters<Figure['run']>[0], images: [string, string], base: string, rounds: number): Promise<number[]> {
  const app = `${base}-bare`;
  ctx.defer(() => removeAppArtifacts([app]));
  const servers = (await bareServers(images[0], app)).map((server) => ({ ...server, version: 0 }));
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    samples.push(
      ...(await Promise.all(
        servers.map(async (server) => {
          const next = 1 - server.version;
          const t = performance.now();
          const answered = firstAnswer(server.port, `par-v${next + 1}`);
          const old = server.container;
          await old.stop({ t: 10 });
          server.container = await bareContainer(images[next]!, app, server.port);
          await server.container.start();
          const at = (await answered) - t;
          server.version = next;
          await old.remove({ force: true });
          return at;
        }),
      )),
    );
  }
  return samples;
}

/** APPS running bare containers of `image` (its first version), each on a free port and answering. */
async function bareServers(image: string, app: string) {
  const servers = [];
  for (let i = 0; i < APPS; i += 1) {
    const port = await freePort();
    const container = await bareContainer(image, app, port);
    await container.start();
    await firstAnswer(port, 'par-v1');
    servers.push({ container, port });
  }
  return servers;
}

/** Docker's init as PID 1, as deckhand runs apps: SIGTERM stops busybox httpd at once. */
function bareContainer(image: string, app: string, port: number) {
  return docker().createContainer({ Image: image, Env: [`PORT=${port}`], Labels: { 'deckhand.app': app }, HostConfig: { NetworkMode: 'host', Init: true } });
}
