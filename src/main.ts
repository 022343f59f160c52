import { createSlackBot } from './adapters/slack/app.js';
import { createServices } from './compose.js';
import { loadEnv } from './config/env.js';
import { asDeckhandError } from './domain/errors.js';
import { createJobs } from './jobs/schedules.js';
import { createWatchdog } from './jobs/watchdog.js';
import { createCardSweeper } from './jobs/card-sweeper.js';
import { renderRecoveryReport } from './adapters/slack/blocks/recovery-report.js';
import type { Message } from './adapters/slack/slack-gateway.js';

const MISSING = `deckhand: the Slack bot needs credentials.
  Set SLACK_BOT_TOKEN (xoxb-..., from "OAuth & Permissions") and either
    SLACK_SIGNING_SECRET (HTTP mode: Slack calls https://<your host>/slack/events), or
    SLACK_APP_TOKEN (xapp-..., Socket Mode: no public URL needed).
  Create the Slack app from manifest.yml in this repository (README: "Slack app").`;

async function main(): Promise<number> {
  const env = loadEnv();
  if (!env.SLACK_BOT_TOKEN || (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN)) {
    process.stderr.write(`${MISSING}\n`);
    return 1;
  }
  const services = await createServices({ env });
  for (const note of await services.deploys.reconcile()) process.stdout.write(`deckhand: reconcile: ${note}\n`);
  const bot = createSlackBot(services, {
    botToken: env.SLACK_BOT_TOKEN,
    signingSecret: env.SLACK_SIGNING_SECRET,
    appToken: env.SLACK_APP_TOKEN,
    apiUrl: env.SLACK_API_URL,
  });
  const report = async (message: Message) => {
    if (env.DECKHAND_REPORT_CHANNEL) await bot.context.gateway.post(env.DECKHAND_REPORT_CHANNEL, message);
    else process.stdout.write(`deckhand: ${message.text} (set DECKHAND_REPORT_CHANNEL to post reports to Slack)\n`);
  };
  const jobs = createJobs(services, report);
  jobs.start();
  const watchdog = createWatchdog(services, env.DECKHAND_WATCHDOG_INTERVAL, (notes) => report(renderRecoveryReport(notes)));
  watchdog.start();
  const sweeper = createCardSweeper(bot.context);
  sweeper.start();
  if (env.SLACK_APP_TOKEN) {
    await bot.app.start();
    process.stdout.write('deckhand: connected to Slack in Socket Mode\n');
  } else {
    await bot.app.start(env.PORT);
    process.stdout.write(`deckhand: listening on :${env.PORT} (POST /slack/events, GET /healthz)\n`);
  }
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  process.stdout.write('deckhand: stopping; waiting for running deploys to finish\n');
  jobs.stop();
  watchdog.stop();
  sweeper.stop();
  await bot.app.stop();
  await bot.idle();
  await services.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    const e = asDeckhandError(error);
    process.stderr.write(`deckhand: ${e.code}: ${e.message}\n`);
    process.exitCode = 1;
  },
);
