/**
 * `npm run bench` [-- --quick]: every figure of issue 12's table in one run, each beside its floor or baseline
 * measured in this same run (figures/floors.ts), with p50/p95/max and the ratio; a Markdown table at the end.
 * --quick takes few samples (and seeds 20k deployment rows instead of 100k) to finish in about two minutes. It
 * prints, never asserts: the exit code is non-zero only when a figure crashed. Everything started (containers,
 * bot, databases, temp dirs) is torn down at the end, also on error or Ctrl-C. `--only=<words>` runs the figures
 * whose title has one of the comma-separated words as a whole word, in any case (after the floors): `--only=cli`
 * runs the CLI figures, not the bot's Confirm click.
 */
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { haveDocker } from '../test/helpers/infra.js';
import { type Row, markdownTable, printRow } from './report.js';
import { type Figure, createContext } from './support/context.js';
import { measureFloors } from './figures/floors.js';
import { cliRollback } from './figures/cli-rollback.js';
import { botConfirm } from './figures/bot-confirm.js';
import { cliWallTime } from './figures/cli-wall-time.js';
import { slackAcks } from './figures/slack-acks.js';
import { retention } from './figures/retention.js';
import { streamer } from './figures/streamer.js';
import { healthLateness } from './figures/health-lateness.js';
import { rebuildRollback } from './figures/rebuild-rollback.js';
import { botRss } from './figures/bot-rss.js';
import { parallelApps } from './figures/parallel-apps.js';
import { engine } from './figures/engine.js';
import { ownCaddy } from './figures/own-caddy.js';
import { caddyReloads } from './figures/caddy-reloads.js';

const FIGURES: Figure[] = [cliRollback, botConfirm, cliWallTime, slackAcks, retention, streamer, healthLateness, rebuildRollback, botRss, parallelApps, engine, ownCaddy, caddyReloads];

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const titled = (title: string, word: string) => new RegExp(`(^|[^a-z0-9])${word.toLowerCase().replace(/[^a-z0-9]/g, '\\$&')}($|[^a-z0-9])`).test(title.toLowerCase());
const started = performance.now();
console.log(`deckhand bench${quick ? ' --quick' : ''}: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);

const rows: Row[] = [];
let crashed = 0;
const bootstrap = createContext(quick, undefined as never);
let ctx = bootstrap;
const interrupted = async () => {
  console.error('bench: interrupted, tearing down');
  await ctx.teardown();
  await bootstrap.teardown();
  process.exit(130);
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

try {
  if (!(await haveDocker())) {
    console.log('not measured: no Docker engine (every figure needs one)');
  } else {
    console.log('\n## floors (measured now)');
    const measured = await measureFloors(bootstrap);
    await bootstrap.teardown();
    for (const row of measured.rows) printRow(row);
    rows.push(...measured.rows);
    ctx = createContext(quick, measured.floors);
    for (const figure of FIGURES) {
      if (only && !only.some((word) => titled(figure.title, word))) continue;
      console.log(`\n## ${figure.title}`);
      const t = performance.now();
      try {
        for (const row of await figure.run(ctx)) {
          printRow(row);
          rows.push(row);
        }
      } catch (error) {
        crashed += 1;
        console.error(`bench: ${figure.title} crashed: ${(error as Error).stack ?? error}`);
      } finally {
        await ctx.teardown();
      }
      console.log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
  }
} finally {
  await ctx.teardown();
  await bootstrap.teardown();
}

console.log(`\n## table (${quick ? 'quick: few samples, 20k rows' : 'full: 100k rows'}; ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
console.log(markdownTable(rows));
process.exit(crashed > 0 ? 1 : 0);
