/**
 * Health detection lateness: versions that start answering only after a known delay (their start script sleeps,
 * then runs httpd). The bench polls the public port in a tight loop for the first 2xx of the new version; deckhand's
 * detection is its health event with ok (on the event bus). Lateness = detected-at − first-2xx-at. Prebuilt images,
 * recreate strategy (the new container listens on the public port itself).
 */
import { performance } from 'node:perf_hooks';
import type { AppSpec } from '../../src/domain/apps.js';
import { createTestServices, gitApp } from '../../test/helpers/services.js';
import { freePort } from '../../test/helpers/ports.js';
import type { Row } from '../report.js';
import { benchRepo, prebuilt } from '../support/apps.js';
import type { Figure } from '../support/context.js';
import { firstAnswer } from '../support/measure.js';

export const healthLateness: Figure = {
  title: 'health detection lateness',
  async run(ctx) {
    const delays = ctx.quick ? [500, 1200] : [300, 700, 1200, 2000, 3100];
    const versions = delays.map((ms) => ({
      body: `late-${ms}`,
      files: { 'start.sh': `/bin/busybox sleep ${(ms / 1000).toFixed(3)}\nexec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www\n` },
    }));
    const repo = benchRepo(ctx, [{ body: 'late-base' }, ...versions]);
    const app = ctx.name('late');
    const images = await prebuilt(ctx, app, repo);
    const base = gitApp(app, 'unused', await freePort());
    const spec: AppSpec = { ...base, run: { ...base.run, healthTimeoutMs: 30_000 }, source: { kind: 'image', image: images[0]!, pull: 'missing' } };
    const services = await createTestServices({ apps: [spec] });
    ctx.defer(() => services.dispose());
    let detectedAt: number | undefined;
    const unsubscribe = services.bus.subscribe((e) => {
      if (e.app === app && e.type === 'health' && e.ok && detectedAt === undefined) detectedAt = performance.now();
    });
    ctx.defer(unsubscribe);
    const first = await services.deploys.deploy({ app, ref: '1', actor: 'bench', trigger: 'cli' });
    if (first.status !== 'succeeded') throw new Error(`setup deploy failed: ${first.error}`);
    const samples: number[] = [];
    const perDelay: string[] = [];
    for (let round = 0; round < ctx.samples(2, 1); round += 1) {
      for (const [i, ms] of delays.entries()) {
        detectedAt = undefined;
        const answered = firstAnswer(spec.run.port, `late-${ms}`, 60_000, 0);
        const d = await services.deploys.deploy({ app, ref: String(i + 2), actor: 'bench', trigger: 'cli', force: true });
        if (d.status !== 'succeeded') throw new Error(`deploy of the ${ms} ms version ended ${d.status}: ${d.error}`);
        const at = await answered;
        if (detectedAt === undefined) throw new Error('no healthy health event was seen');
        samples.push(detectedAt - at);
        perDelay.push(`${ms} ms: ${(detectedAt - at).toFixed(0)}`);
      }
    }
    const row: Row = { figure: 'health detection lateness (detected − first 2xx)', samples, goal: '≤ 50 ms after the app answers', note: `app start delays → lateness ms: ${perDelay.join(', ')}` };
    return [row];
  },
};
