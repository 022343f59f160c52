/**
 * Reuse rollback through the real CLI process (`node bin/deckhand.js rollback <app> <id> --yes`, README's `npx
 * deckhand`), on the embedded store and on Postgres: from the command's start to the NEW version answering on the
 * app's public port (polled in a tight loop; each version serves its own body), and when the process exited.
 * Recreate strategy (DECKHAND_PROXY=none, no Caddy), default drain: what a user without Caddy gets.
 */
import type { Row } from '../report.js';
import { stats } from '../report.js';
import { benchGitApp, benchRepo } from '../support/apps.js';
import { type StoreKind, cliSetup } from '../support/cli.js';
import type { Figure } from '../support/context.js';
import { firstAnswer } from '../support/measure.js';

export const cliRollback: Figure = {
  title: 'reuse rollback through the CLI process',
  async run(ctx) {
    const repo = benchRepo(ctx, [{ body: 'cli-v1' }, { body: 'cli-v2' }]);
    const rows: Row[] = [];
    for (const kind of ['embedded', 'postgres'] as StoreKind[]) {
      const app = await benchGitApp(ctx, ctx.name(`cli-${kind}`), repo);
      const cli = await cliSetup(ctx, kind, [app]);
      await cli.run(['deploy', app.name, repo.commits[0]!]);
      await cli.run(['deploy', app.name, repo.commits[1]!]);
      const serving: number[] = [];
      const exited: number[] = [];
      const n = ctx.samples(8, 2);
      for (let i = 0; i < n; i += 1) {
        const [target, body] = i % 2 === 0 ? [1, 'cli-v1'] : [2, 'cli-v2'];
        const run = cli.start(['rollback', app.name, String(target), '--yes']);
        const at = await firstAnswer(app.run.port, body, 120_000);
        const done = await run.exited;
        if (done.code !== 0 || !/reuse_image|reus/i.test(done.output)) throw new Error(`rollback to #${target} did not reuse the image (exit ${done.code}):\n${done.output}`);
        serving.push(at - run.started);
        exited.push(done.at - run.started);
      }
      const e = stats(exited);
      rows.push({
        figure: `reuse rollback, CLI on ${kind === 'embedded' ? 'embedded store' : 'Postgres'}, command → new version serving`,
        samples: serving,
        floor: ctx.floors.cli,
        goal: kind === 'embedded' ? '≤ 3× CLI floor' : '≤ 2× CLI floor',
        note: `CLI process exited after p50 ${e.p50.toFixed(0)} ms / max ${e.max.toFixed(0)} ms (recreate strategy, no Caddy)`,
      });
    }
    return rows;
  },
};
