/**
 * The bot as `npm start` runs it: `node dist/main.js` in a process of its own (HTTP mode, the Slack Web API and the
 * response URLs on a real HTTP stand-in), so a figure measures the bot and not a client sharing its event loop.
 * Without DATABASE_URL it runs the embedded store in its own child process, as in production. The stand-in runs in a
 * process of its own as well: the bot's response-URL posts after each ack must not land on the event loop that times
 * the acks (Slack's ack timer and its response URLs are not one process either).
 */
import { join } from 'node:path';
import type { AppSpec } from '../../src/domain/apps.js';
import { freePort } from '../../test/helpers/ports.js';
import { childProcess } from '../../test/helpers/proc.js';
import { sign, slashCommand } from '../../test/helpers/slack-requests.js';
import { type SignedPost, ackClient } from './ack-client.js';
import { startNode } from '../../test/helpers/child-lines.js';
import { ROOT, ensureBuilt, tempDir, writeAppsFile } from './apps.js';
import type { BenchContext } from './context.js';
import { sleep, spawnTimed } from './measure.js';

const SECRET = 'bench-signing-secret';

export type BotProcess = Awaited<ReturnType<typeof startBotProcess>>;

export async function startBotProcess(ctx: BenchContext, apps: AppSpec[], options: { databaseUrl?: string; dataDir?: string; env?: Record<string, string>; nodeArgs?: string[] } = {}) {
  ensureBuilt();
  const dir = tempDir(ctx, 'bot');
  const standinProcess = startNode('test/helpers/slack-standin-main.ts', []);
  ctx.defer(async () => {
    standinProcess.kill();
    await standinProcess.exited;
  });
  const standin = (await standinProcess.waitFor((line) => typeof line.apiUrl === 'string')) as { apiUrl: string; hooksUrl: string };
  const port = await freePort();
  const { SLACK_APP_TOKEN: _socketMode, ...inherited } = process.env;
  const dataDir = options.dataDir ?? join(dir, 'data');
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    DATABASE_URL: options.databaseUrl ?? '',
    DECKHAND_CONFIG: writeAppsFile(dir, apps),
    DECKHAND_DATA_DIR: dataDir,
    DECKHAND_PROXY: 'none',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: standin.apiUrl,
    PORT: String(port),
    ...options.env,
  };
  const bot = spawnTimed(process.execPath, [...(options.nodeArgs ?? []), join(ROOT, 'dist', 'main.js')], { env, cwd: dir });
  ctx.defer(() => bot.child.kill('SIGKILL'));
  const deadline = Date.now() + 120_000;
  while (!/listening on/.test(bot.output())) {
    if (bot.child.exitCode !== null || Date.now() > deadline) throw new Error(`the bot did not start:\n${bot.output()}`);
    await sleep(50);
  }
  const url = `http://127.0.0.1:${port}`;
  const client = ackClient(url);
  ctx.defer(() => client.close());
  return {
    pid: bot.child.pid!,
    /** The embedded store's process (undefined on Postgres). */
    storePid: childProcess(bot.child.pid!, 'store-main'),
    dbDir: join(dataDir, 'db'),
    /** What the bot printed so far (stdout and stderr). */
    output: () => bot.output(),
    standin,
    /** How many response-URL posts the stand-in has answered so far (the work each command does after its ack). */
    hooks: () => standinProcess.lines.filter((line) => typeof line.hook === 'string').length,
    /** A signed slash command, ready to send (its response URL on the stand-in). */
    signed(name: string, text: string): SignedPost {
      const body = slashCommand(name, text, 'U1BENCH', 'C1BENCH').replace(encodeURIComponent('https://hooks.slack.test'), encodeURIComponent(standin.hooksUrl));
      return { body, headers: sign(body, undefined, SECRET) };
    },
    /** Sends a signed command; resolves when the bot answered it over HTTP (the ack), with the time that took. */
    async send(post: SignedPost) {
      const answer = await client.post(post);
      if (answer.status !== 200) throw new Error(`bot answered ${answer.status}: ${answer.text}`);
      return answer;
    },
    /** A signed slash command, sent at once (see send). */
    async command(name: string, text: string) {
      return this.send(this.signed(name, text));
    },
    /** SIGTERM, and the bot's exit (code and output). */
    async stop() {
      bot.child.kill('SIGTERM');
      return bot.exited;
    },
  };
}
