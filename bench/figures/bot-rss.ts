/**
 * The bot's memory as `npm start` runs it (node dist/main.js, HTTP mode, the Slack Web API on a real HTTP
 * stand-in), on the embedded store: the peak while it creates the store at its first start (VmHWM), then its RSS
 * at rest (VmRSS sampled every 500 ms), and the same at a second start on the existing store. The embedded store
 * runs in a child process of the bot (store-main.js): the bot, that store process and their sum are each reported.
 * A new store is created by a short-lived process of the store process's own (store-create-main.js): its peak, as
 * the bot reports it, is in the first start's note.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec } from '../../src/domain/apps.js';
import type { Row } from '../report.js';
import { benchGitApp, benchRepo, tempDir } from '../support/apps.js';
import { startBotProcess } from '../support/bot-process.js';
import type { BenchContext, Figure } from '../support/context.js';
import { sleep } from '../support/measure.js';

const mb = (pid: number | undefined, field: string) => {
  if (!pid) return 0;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
};

export const botRss: Figure = {
  title: 'bot RSS (npm start)',
  async run(ctx) {
    const repo = benchRepo(ctx, [{ body: 'rss' }]);
    const app = await benchGitApp(ctx, ctx.name('rss'), repo);
    const dataDir = join(tempDir(ctx, 'rss'), 'data');
    const first = await runBot(ctx, [app], dataDir);
    const second = await runBot(ctx, [app], dataDir);
    const rows: Row[] = [];
    for (const [label, run] of [['first start', first], ['existing store', second]] as const) {
      const peaks = `peak bot ${run.peak.bot.toFixed(0)} MB, store process ${run.peak.store.toFixed(0)} MB`;
      // A new store is created by a short-lived process of the store process's own (the bot says so on stdout).
      const creator = run.creatorPeakMb === undefined ? '' : `; the process that created the store peaked at ${run.creatorPeakMb} MB and exited`;
      rows.push(
        { figure: `bot RSS idle, bot process (embedded store, ${label})`, samples: run.idle.bot, unit: 'MB', goal: '≤ 150 MB', note: label === 'first start' ? `${peaks} while the store was created${creator}` : peaks },
        { figure: `bot RSS idle, its store process (embedded store, ${label})`, samples: run.idle.store, unit: 'MB', goal: '(not the goal: PGlite lives here)' },
        { figure: `bot RSS idle, bot + store process (embedded store, ${label})`, samples: run.idle.bot.map((value, i) => value + run.idle.store[i]!), unit: 'MB', goal: '(the whole footprint)' },
      );
    }
    return rows;
  },
};

async function runBot(ctx: BenchContext, apps: AppSpec[], dataDir: string) {
  const bot = await startBotProcess(ctx, apps, { dataDir });
  const idle = { bot: [] as number[], store: [] as number[] };
  await sleep(ctx.quick ? 1_000 : 5_000);
  for (let i = 0; i < (ctx.quick ? 4 : 20); i += 1) {
    idle.bot.push(mb(bot.pid, 'VmRSS'));
    idle.store.push(mb(bot.storePid, 'VmRSS'));
    await sleep(500);
  }
  const peak = { bot: mb(bot.pid, 'VmHWM'), store: mb(bot.storePid, 'VmHWM') };
  const created = /embedded store created by pid \d+ \(peak (\d+) MB/.exec(bot.output());
  const { code, output } = await bot.stop();
  if (code !== 0) throw new Error(`the bot exited ${code} on SIGTERM:\n${output}`);
  return { peak, idle, creatorPeakMb: created ? Number(created[1]) : undefined };
}
