/**
 * The bot (warm, in process, Slack stand-in over real HTTP): a Confirm click on a rollback card until the NEW
 * version answers on the app's public port (a probe every 5 ms), reuse path, Postgres when reachable, once per strategy:
 * - Caddy (what deckhand recommends): the new container starts beside the old one, traffic moves, the old one is
 *   stopped after the new version serves (after the 2 s drain, outside the figure);
 * - recreate: the old container is stopped first (SIGTERM, as in production), so that stop is inside the figure.
 */
import { performance } from 'node:perf_hooks';
import { startCaddy } from '../../test/helpers/caddy.js';
import { createTestServices } from '../../test/helpers/services.js';
import { type Row, stats } from '../report.js';
import { benchGitApp, benchRepo } from '../support/apps.js';
import { startBenchBot } from '../support/bot.js';
import type { Figure } from '../support/context.js';
import { firstAnswer } from '../support/measure.js';

const MODES = {
  caddy: { label: 'Caddy', note: 'reuse path; new beside old, switch, old stopped after serving (2 s drain)' },
  recreate: { label: 'recreate', note: 'reuse path; includes stopping the old container (SIGTERM) before the new one starts' },
} as const;

export const botConfirm: Figure = {
  title: 'bot: Confirm click to new version serving (Caddy and recreate)',
  async run(ctx) {
    const repo = benchRepo(ctx, [{ body: 'bot-v1' }, { body: 'bot-v2' }]);
    const caddy = await startCaddy();
    ctx.defer(() => caddy.stop());
    const rows: Row[] = [];
    for (const mode of ['caddy', 'recreate'] as const) {
      const app = await benchGitApp(ctx, ctx.name(`confirm-${mode}`), repo);
      const services = await createTestServices({ apps: [app], caddyAdminUrl: mode === 'caddy' ? caddy.adminUrl : undefined, env: { DECKHAND_DRAIN: '2s' } });
      ctx.defer(() => services.dispose());
      const b = await startBenchBot(ctx, [app], { services });
      const ids: number[] = [];
      for (const commit of repo.commits) {
        const d = await services.deploys.deploy({ app: app.name, ref: commit, actor: 'bench', trigger: 'cli' });
        if (d.status !== 'succeeded') throw new Error(`setup deploy failed: ${d.error}`);
        ids.push(d.id);
      }
      const samples: number[] = [];
      const n = ctx.samples(10, 3);
      // The first round warms the bot (Bolt, prepared queries, the Docker client) and is not counted.
      for (let i = -1; i < n; i += 1) {
        const [target, body] = i % 2 === 0 || i === -1 ? [ids[0]!, 'bot-v1'] : [ids[1]!, 'bot-v2'];
        const confirm = await b.confirmButton(app.name, target);
        const t = performance.now();
        await b.click(confirm);
        const at = await firstAnswer(app.run.port, body, 60_000);
        await b.settled(app.name);
        if (i === -1) {
          // Back to v2 so that the counted rounds alternate v1, v2, ...
          const back = await b.confirmButton(app.name, ids[1]!);
          await b.click(back);
          await firstAnswer(app.run.port, 'bot-v2', 60_000);
          await b.settled(app.name);
          continue;
        }
        samples.push(at - t);
      }
      const loaded = ctx.floors.loaded.value;
      const underLoad = `${(stats(samples).p50 / loaded).toFixed(2)}× the floor under the same probe load (${loaded.toFixed(0)} ms)`;
      rows.push({ figure: `bot: Confirm click → new version serving (warm, ${MODES[mode].label})`, samples, floor: ctx.floors.bare, goal: '≤ 1.3× floor', note: `${MODES[mode].note}; ${underLoad}` });
    }
    return rows;
  },
};
