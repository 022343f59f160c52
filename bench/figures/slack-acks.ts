/**
 * Slash-command acks under load at 100k deployment rows (20k with --quick), seeded with generate_series: rounds of
 * 50 concurrent signed `/deploys <app>` requests to the real bot, each timed until its HTTP answer (the ack Slack
 * waits for, at most 3 s). The bot runs as `npm start` does, in a process of its own (the client here does not share
 * its event loop), on the embedded store (in the bot's store process) and on Postgres. Beside it, the `/deploys`
 * query itself (the list of 10 and "what runs now", as the command runs them) at the same size, asked as the bot
 * asks it: through the store's socket, or of Postgres.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Db } from '../../src/adapters/db/client.js';
import { DrizzleDeploymentStore } from '../../src/adapters/db/deployments-repo.js';
import * as schema from '../../src/adapters/db/schema.js';
import { parseRecord } from '../../src/adapters/db/store-owner.js';
import { createScratchDatabase } from '../../test/helpers/db.js';
import { havePostgres } from '../../test/helpers/infra.js';
import { type Row, type Stats, stats } from '../report.js';
import { ackFloor } from '../support/ack-floor.js';
import { benchGitApp, benchRepo } from '../support/apps.js';
import { type BotProcess, startBotProcess } from '../support/bot-process.js';
import type { BenchContext, Figure } from '../support/context.js';
import { repeat, sleep } from '../support/measure.js';
import { seedDeployments } from '../support/seed.js';

const CONCURRENT = 50;

export const slackAcks: Figure = {
  title: 'slash-command acks and the /deploys query at many deployment rows',
  async run(ctx) {
    const repo = benchRepo(ctx, [{ body: 'acks' }]);
    const rows: Row[] = [];
    const floorSamples = await ackFloor(ctx, ctx.samples(10, 2), CONCURRENT);
    const floor = stats(floorSamples);
    rows.push({
      figure: `ack floor: ${CONCURRENT} concurrent signed slash commands to a bare node HTTP server (signature check, 200)`,
      samples: floorSamples,
      goal: '(reference: the client, HTTP and the signature check alone)',
      note: `p99 ${floor.p99.toFixed(0)} ms; the same client and rounds as the bot's figures below`,
    });
    for (const kind of ['embedded', 'postgres'] as const) {
      const app = await benchGitApp(ctx, ctx.name(`acks-${kind}`), repo);
      let databaseUrl: string | undefined;
      if (kind === 'postgres') {
        if (!(await havePostgres())) {
          rows.push({ figure: 'slash-command ack p99, Postgres', goal: '≤ 50 ms', notMeasured: 'no Postgres on 127.0.0.1:5432' });
          continue;
        }
        const scratch = await createScratchDatabase('bench_acks');
        ctx.defer(() => scratch.drop());
        databaseUrl = scratch.url;
      }
      const bot = await startBotProcess(ctx, [app], { databaseUrl, nodeArgs: profileArgs(kind) });
      // A client of the bot's database as the bot is one: the store's socket (unnamed statements), or Postgres.
      const client = databaseUrl
        ? postgres(databaseUrl, { max: 2, onnotice: () => undefined })
        : postgres({ path: parseRecord(readFileSync(`${bot.dbDir}.lock`, 'utf8'))!.socket, max: 2, prepare: false, onnotice: () => undefined, user: 'postgres', database: 'postgres' });
      ctx.defer(() => client.end({ timeout: 5 }));
      const db = drizzle(client, { schema }) as unknown as Db;
      const t = performance.now();
      await seedDeployments(db, app.name, ctx.rows);
      const seeded = `${(ctx.rows / 1000).toFixed(0)}k rows, seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`;
      const label = kind === 'embedded' ? 'embedded store' : 'Postgres';
      const store = new DrizzleDeploymentStore(db);
      const query = await repeat(ctx.samples(200, 30), async () => {
        await Promise.all([store.list(app.name, 10), store.current(app.name)]);
      });
      rows.push(await acks(ctx, bot, app.name, label, seeded, floor));
      rows.push({ figure: `\`/deploys\` query (list 10 + current), ${label} (${kind === 'embedded' ? 'through its socket' : 'direct'}), ${seeded.split(',')[0]}`, samples: query, goal: '≤ 1 ms' });
      const { code, output } = await bot.stop();
      if (code !== 0) throw new Error(`the bot exited ${code} on SIGTERM:\n${output}`);
    }
    return rows;
  },
};

/** DECKHAND_BENCH_CPU_PROF=<dir>: the bot writes a CPU profile there (node --cpu-prof), to see where an ack's time goes. */
function profileArgs(kind: string): string[] {
  const dir = process.env.DECKHAND_BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=bot-acks-${kind}-${process.pid}.cpuprofile`] : [];
}

/**
 * Rounds of CONCURRENT `/deploys` at once. Each round starts once the previous one's work is done (every command
 * posted its list to its response URL, which the stand-in counts): a round measures 50 commands arriving at an idle
 * bot, not 50 arriving while it still renders the 50 before.
 */
async function acks(ctx: BenchContext, bot: BotProcess, app: string, label: string, seeded: string, floor: Stats): Promise<Row> {
  const settled = async (hooks: number) => {
    for (const deadline = Date.now() + 30_000; bot.hooks() < hooks; await sleep(5)) {
      if (Date.now() > deadline) throw new Error(`${hooks - bot.hooks()} of the /deploys commands never posted their list`);
    }
  };
  // Warm: the first request of each kind loads and prepares what later ones reuse.
  const cold = bot.hooks();
  await Promise.all(Array.from({ length: 5 }, () => bot.command('/deploys', app)));
  await settled(cold + 5);
  const samples: number[] = [];
  for (let round = 0; round < ctx.samples(10, 2); round += 1) {
    const before = bot.hooks();
    // Every request of the round made and signed first, then all sent: the client's work is not inside the times.
    const posts = Array.from({ length: CONCURRENT }, () => bot.signed('/deploys', app));
    const answers = await Promise.all(posts.map((post) => bot.send(post)));
    samples.push(...answers.map((a) => a.ms));
    await settled(before + CONCURRENT);
  }
  const s = stats(samples);
  const late = samples.filter((ms) => ms > 3000).length;
  return {
    figure: `slash-command ack, ${CONCURRENT} concurrent \`/deploys\`, ${label} (bot in its own process)`,
    samples,
    floor: { name: 'ack floor', value: floor.p50 },
    goal: label === 'Postgres' ? 'p99 ≤ 50 ms' : 'p99 ≤ 100 ms',
    note: `p99 ${s.p99.toFixed(0)} ms, ${(s.p99 / floor.p99).toFixed(2)}× the floor's p99 (${floor.p99.toFixed(0)} ms); ${late} of ${samples.length} over Slack's 3 s; ${seeded}`,
  };
}
