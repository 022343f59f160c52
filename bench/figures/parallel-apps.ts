/**
 * 20 apps deployed at once through the bot (20 signed `/deploy <app> <tag>` at the same moment, one channel,
 * prebuilt images, recreate strategy) beside one app deployed alone through the same bot: each timed from its
 * command to its new version answering on its own port.
 */
import { performance } from 'node:perf_hooks';
import type { AppSpec } from '../../src/domain/apps.js';
import { removeAppArtifacts } from '../../test/helpers/docker.js';
import { freePort } from '../../test/helpers/ports.js';
import { gitApp } from '../../test/helpers/services.js';
import { stats } from '../report.js';
import { benchRepo, prebuilt } from '../support/apps.js';
import { type BenchBot, startBenchBot } from '../support/bot.js';
import type { Figure } from '../support/context.js';
import { firstAnswer } from '../support/measure.js';

const APPS = 20;

export const parallelApps: Figure = {
  title: '20 apps deployed at once through the bot',
  async run(ctx) {
    const base = ctx.name('par');
    const repo = benchRepo(ctx, [{ body: 'par-v1' }, { body: 'par-v2' }]);
    const [v1] = await prebuilt(ctx, base, repo);
    const specs: AppSpec[] = [];
    for (let i = 0; i < APPS; i += 1) {
      const spec = gitApp(`${base}-${i}`, 'unused', await freePort());
      specs.push({ ...spec, source: { kind: 'image', image: v1!, pull: 'missing' } });
    }
    ctx.defer(() => removeAppArtifacts(specs.map((s) => s.name)));
    const b = await startBenchBot(ctx, specs);
    const serving = new Map<string, number>();
    await Promise.all(specs.map(async (s) => {
      const d = await b.services.deploys.deploy({ app: s.name, ref: '1', actor: 'bench', trigger: 'cli' });
      if (d.status !== 'succeeded') throw new Error(`setup deploy of ${s.name} failed: ${d.error}`);
      serving.set(s.name, 1);
    }));
    const solo = [];
    for (let i = 0; i < ctx.samples(6, 2); i += 1) solo.push(await deployOne(b, specs[0]!, serving));
    const together: number[] = [];
    for (let round = 0; round < ctx.samples(3, 1); round += 1) together.push(...(await Promise.all(specs.map((s) => deployOne(b, s, serving)))));
    const alone = stats(solo).p50;
    const worst = Math.max(...together) / alone;
    return [
      { figure: 'one app deployed alone through the bot (command → serving)', samples: solo, floor: ctx.floors.bare, goal: '(reference for the next line)' },
      { figure: `${APPS} apps deployed at once through the bot, each (command → serving)`, samples: together, floor: { name: 'one app alone', value: alone }, goal: 'each within 1.2× its solo time', note: `slowest ${worst.toFixed(2)}× alone; prebuilt images` },
    ];
  },
};

async function deployOne(b: BenchBot, spec: AppSpec, serving: Map<string, number>): Promise<number> {
  const next = serving.get(spec.name) === 1 ? 2 : 1;
  const t = performance.now();
  await b.command('/deploy', `${spec.name} ${next}`);
  const at = await firstAnswer(spec.run.port, `par-v${next}`, 60_000).catch((error: Error) => {
    const replies = b.standin.posts.slice(-3).map((p) => p.body.slice(0, 300));
    throw new Error(`${spec.name}: ${error.message}; the bot's last replies: ${replies.join(' | ')}`);
  });
  await b.settled(spec.name);
  serving.set(spec.name, next);
  return at - t;
}
