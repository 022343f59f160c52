/**
 * Slash-command acks under load at 100k deployment rows (20k with --quick), seeded with generate_series: rounds of
 * 50 concurrent signed `/deploys <app>` requests to the real Bolt receiver, each timed until its HTTP answer (the
 * ack Slack waits for, at most 3 s). On the embedded store and on Postgres. Beside it, the `/deploys` query itself
 * (the list of 10 and "what runs now", as the command runs them) at the same size.
 */
import { performance } from 'node:perf_hooks';
import type { Services } from '../../src/compose.js';
import { createTestServices } from '../../test/helpers/services.js';
import { type Row, stats } from '../report.js';
import { benchGitApp, benchRepo } from '../support/apps.js';
import { startBenchBot } from '../support/bot.js';
import type { BenchContext, Figure } from '../support/context.js';
import { embeddedServices } from '../support/embedded.js';
import { repeat } from '../support/measure.js';
import { seedDeployments } from '../support/seed.js';

const CONCURRENT = 50;

export const slackAcks: Figure = {
  title: 'slash-command acks and the /deploys query at many deployment rows',
  async run(ctx) {
    const repo = benchRepo(ctx, [{ body: 'acks' }]);
    const rows: Row[] = [];
    for (const kind of ['embedded', 'postgres'] as const) {
      const app = await benchGitApp(ctx, ctx.name(`acks-${kind}`), repo);
      let services: Services;
      if (kind === 'embedded') services = await embeddedServices(ctx, [app]);
      else {
        const s = await createTestServices({ apps: [app] });
        ctx.defer(() => s.dispose());
        if (s.database.kind !== 'postgres') {
          rows.push({ figure: 'slash-command ack p99, Postgres', goal: '≤ 50 ms', notMeasured: 'no Postgres on 127.0.0.1:5432' });
          continue;
        }
        services = s;
      }
      const t = performance.now();
      await seedDeployments(services.database.db, app.name, ctx.rows);
      const seeded = `${(ctx.rows / 1000).toFixed(0)}k rows, seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`;
      const label = kind === 'embedded' ? 'embedded store' : 'Postgres';
      const query = await repeat(ctx.samples(200, 30), async () => {
        await Promise.all([services.store.list(app.name, 10), services.store.current(app.name)]);
      });
      rows.push(await acks(ctx, services, app.name, label, seeded));
      rows.push({ figure: `\`/deploys\` query (list 10 + current), ${label}, ${seeded.split(',')[0]}`, samples: query, goal: '≤ 1 ms' });
    }
    return rows;
  },
};

async function acks(ctx: BenchContext, services: Services, app: string, label: string, seeded: string): Promise<Row> {
  const b = await startBenchBot(ctx, [], { services });
  await b.command('/deploys', app);
  const samples: number[] = [];
  for (let round = 0; round < ctx.samples(10, 2); round += 1) {
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => b.command('/deploys', app)));
    samples.push(...answers.map((a) => a.ms));
  }
  const s = stats(samples);
  const late = samples.filter((ms) => ms > 3000).length;
  return {
    figure: `slash-command ack, ${CONCURRENT} concurrent \`/deploys\`, ${label}`,
    samples,
    goal: label === 'Postgres' ? 'p99 ≤ 50 ms' : 'p99 ≤ 100 ms',
    note: `p99 ${s.p99.toFixed(0)} ms; ${late} of ${samples.length} over Slack's 3 s; ${seeded}`,
  };
}
