/**
 * 20 apps deployed at once through the bot (20 signed `/deploy <app> <tag>` at the same moment, one channel,
 * prebuilt images, recreate strategy) beside one app deployed alone through the same bot: each timed from its
 * command to its new version answering on its own port.
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
    const [v1] = await prebuilt(ctx, base, repo);
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
    return [
      { figure: 'one app deployed alone through the bot (command → serving)', samples: solo, floor: ctx.floors.bare, goal: '(reference for the next line)' },
      { figure: `${APPS} apps deployed at once through the bot, each (command → serving)`, samples: together, floor: { name: 'one app alone', value: alone }, goal: 'each within 1.2× its solo time', note: `slowest ${worst.toFixed(2)}× alone; prebuilt images; ${(stats(together).p50 / floorP50).toFixed(2)}× the parallel floor below` },
      { figure: `floor: ${APPS} bare containers stopped and started at once, each (start → first 2xx)`, samples: parallelFloor, goal: '(reference: Docker alone under the same parallel load)' },
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
  const servers = [];
  for (let i = 0; i < APPS; i += 1) {
    const port = await freePort();
    // Docker's init as PID 1, as deckhand runs apps: SIGTERM stops busybox httpd at once.
    const container = await docker().createContainer({ Image: image, Env: [`PORT=${port}`], Labels: { 'deckhand.app': app }, HostConfig: { NetworkMode: 'host', Init: true } });
    await container.start();
    await firstAnswer(port, 'par-v1');
    servers.push({ container, port });
  }
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
