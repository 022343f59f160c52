/**
 * Reuse rollback through the real CLI process (`node bin/deckhand.js rollback <app> <id> --yes`, README's `npx
 * deckhand`), on the embedded store and on Postgres, each two ways: with no bot running (the break-glass path: the
 * CLI loads the engine and, on the embedded store, opens PGlite itself) and with the bot running (a real
 * `dist/main.js` process: the CLI hands the command over its control socket). From the command's start to the NEW
 * version answering on the app's public port (a probe every 5 ms; each version serves its own body), and when
 * the process exited. Recreate strategy (DECKHAND_PROXY=none, no Caddy), default drain: what a user without Caddy gets.
 */
import { join } from 'node:path';
import { startBotProcess } from '../../test/helpers/bot-process.js';
import type { Row } from '../report.js';
import { stats } from '../report.js';
import { ROOT, benchGitApp, benchRepo } from '../support/apps.js';
import { type CliSetup, type StoreKind, cliSetup } from '../support/cli.js';
import type { BenchContext, Figure } from '../support/context.js';
import { firstAnswer } from '../support/measure.js';

interface Measured {
  serving: number[];
  exited: number[];
  /** How many samples the bot ran (the rest fell back to a local run). */
  delegated: number;
}

async function rollbacks(ctx: BenchContext, cli: CliSetup, app: { name: string; run: { port: number } }, handedOver: () => number): Promise<Measured> {
  const out: Measured = { serving: [], exited: [], delegated: 0 };
  const n = ctx.samples(8, 2);
  for (let i = 0; i < n; i += 1) {
    const [target, body] = i % 2 === 0 ? [1, 'cli-v1'] : [2, 'cli-v2'];
    const before = handedOver();
    const run = cli.start(['rollback', app.name, String(target), '--yes']);
    const at = await firstAnswer(app.run.port, body, 120_000);
    const done = await run.exited;
    if (done.code !== 0 || !/reuse_image/.test(done.output)) throw new Error(`rollback to #${target} did not reuse the image (exit ${done.code}):\n${done.output}`);
    out.serving.push(at - run.started);
    out.exited.push(done.at - run.started);
    if (handedOver() > before) out.delegated += 1;
  }
  return out;
}

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
      const store = kind === 'embedded' ? 'embedded store' : 'Postgres';
      const loadedCli = ctx.floors.loaded.value + ctx.floors.node.value;
      const goal = kind === 'embedded' ? '≤ 3× CLI floor' : '≤ 2× CLI floor';
      const row = (how: string, m: Measured, note: string): Row => {
        const e = stats(m.exited);
        return { figure: `reuse rollback, CLI on ${store}, ${how}, command → new version serving`, samples: m.serving, floor: ctx.floors.cli, goal, note: `${note}; CLI process exited after p50 ${e.p50.toFixed(0)} ms / max ${e.max.toFixed(0)} ms (recreate strategy, no Caddy); ${(stats(m.serving).p50 / loadedCli).toFixed(2)}× the CLI floor under the same probe load (${loadedCli.toFixed(0)} ms)` };
      };

      const local = await rollbacks(ctx, cli, app, () => 0);
      rows.push(row('no bot (break-glass, local)', local, 'the CLI runs it itself'));

      const bot = await startBotProcess(cli.env, join(ROOT, 'dist', 'main.js'));
      try {
        const handedOver = () => bot.child.lines.filter((line) => /control: .* runs "rollback/.test(String(line.text ?? ''))).length;
        const delegated = await rollbacks(ctx, cli, app, handedOver);
        rows.push(row('bot running (delegated)', delegated, `the bot ran ${delegated.delegated} of ${delegated.serving.length}`));
      } finally {
        await bot.stop();
      }
    }
    return rows;
  },
};
