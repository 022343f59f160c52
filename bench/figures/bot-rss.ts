/**
 * The bot's memory as `npm start` runs it (node dist/main.js, HTTP mode, the Slack Web API on a real HTTP
 * stand-in), on the embedded store: the peak while it creates the store at its first start (VmHWM), then its RSS
 * at rest (VmRSS sampled every 500 ms), and the same at a second start on the existing store.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSlackStandIn } from '../../test/helpers/slack-standin.js';
import { freePort } from '../../test/helpers/ports.js';
import type { Row } from '../report.js';
import { ROOT, benchGitApp, benchRepo, ensureBuilt, tempDir, writeAppsFile } from '../support/apps.js';
import type { BenchContext, Figure } from '../support/context.js';
import { sleep, spawnTimed } from '../support/measure.js';

const kb = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);

export const botRss: Figure = {
  title: 'bot RSS (npm start)',
  async run(ctx) {
    ensureBuilt();
    const repo = benchRepo(ctx, [{ body: 'rss' }]);
    const app = await benchGitApp(ctx, ctx.name('rss'), repo);
    const dir = tempDir(ctx, 'rss');
    const standin = await startSlackStandIn();
    ctx.defer(() => standin.stop());
    const { SLACK_APP_TOKEN: _socketMode, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      DATABASE_URL: '',
      DECKHAND_CONFIG: writeAppsFile(dir, [app]),
      DECKHAND_DATA_DIR: join(dir, 'data'),
      DECKHAND_PROXY: 'none',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench-signing-secret',
      SLACK_API_URL: standin.apiUrl,
      PORT: String(await freePort()),
    };
    const first = await runBot(ctx, env);
    const second = await runBot(ctx, env);
    const rows: Row[] = [
      { figure: 'bot RSS idle (embedded store, first start)', samples: first.idle, unit: 'MB', goal: '≤ 150 MB', note: `peak ${first.peak.toFixed(0)} MB while creating the store` },
      { figure: 'bot RSS idle (embedded store, existing store)', samples: second.idle, unit: 'MB', goal: '≤ 150 MB', note: `peak ${second.peak.toFixed(0)} MB` },
    ];
    return rows;
  },
};

async function runBot(ctx: BenchContext, env: NodeJS.ProcessEnv): Promise<{ peak: number; idle: number[] }> {
  const bot = spawnTimed(process.execPath, [join(ROOT, 'dist', 'main.js')], { env, cwd: ROOT });
  ctx.defer(() => bot.child.kill('SIGKILL'));
  const deadline = Date.now() + 60_000;
  while (!/listening on/.test(bot.output())) {
    if (bot.child.exitCode !== null || Date.now() > deadline) throw new Error(`the bot did not start:\n${bot.output()}`);
    await sleep(50);
  }
  const status = () => readFileSync(`/proc/${bot.child.pid}/status`, 'utf8');
  const idle: number[] = [];
  await sleep(ctx.quick ? 1_000 : 5_000);
  for (let i = 0; i < (ctx.quick ? 4 : 20); i += 1) {
    idle.push(kb(status(), 'VmRSS') / 1024);
    await sleep(500);
  }
  const peak = kb(status(), 'VmHWM') / 1024;
  bot.child.kill('SIGTERM');
  const { code, output } = await bot.exited;
  if (code !== 0) throw new Error(`the bot exited ${code} on SIGTERM:\n${output}`);
  return { peak, idle };
}
