import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startControlServer } from './adapters/control/control-server.js';
import { createSlackBot } from './adapters/slack/app.js';
import { buildOf, controlSocketPath, engineOf, sha256 } from './cli/control-protocol.js';
import { type Services, createServices } from './compose.js';
import { parseAppsFile } from './config/apps-file.js';
import { loadEnv } from './config/env.js';
import { asDeckhandError } from './domain/errors.js';
import { createJobs } from './jobs/schedules.js';
import { createWatchdog } from './jobs/watchdog.js';
import { createCardSweeper } from './jobs/card-sweeper.js';
import { renderRecoveryReport } from './adapters/slack/blocks/recovery-report.js';
import type { Message } from './adapters/slack/slack-gateway.js';
import { type StoreEvent, startStoreProcess } from './adapters/db/store-process.js';

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
  // The apps file is read once: the control socket runs the CLI's commands only for exactly these bytes.
  const configPath = resolve(env.DECKHAND_CONFIG);
  const configBytes = readOrUndefined(configPath);
  // Without DATABASE_URL the embedded store runs in a child process of its own (PGlite's memory and query work stay
  // out of the bot); the bot reaches it through its socket, and restarts it if it dies.
  let reportStore = (text: string) => void process.stdout.write(`deckhand: ${text}\n`);
  const database = env.DATABASE_URL ? undefined : await startStoreProcess({ dbDir: resolve(env.DECKHAND_DATA_DIR, 'db'), onEvent: (event) => reportStore(storeEventText(event)) });
  const services = await createServices({ env, database, apps: configBytes && parseAppsFile(configBytes.toString('utf8'), configPath) }).catch(async (error) => {
    await database?.close();
    throw error;
  });
  // deckhand's own Caddy: adopted when it outlived the last bot process, else started with every app's route.
  if (services.managedProxy) {
    const outcome = await services.managedProxy.ready().catch((error) => `not running (${asDeckhandError(error).message})`);
    process.stdout.write(`deckhand: Caddy ${outcome}\n`);
  }
  const control = configBytes
    ? await startControlServer({
        services,
        path: controlSocketPath(env.DECKHAND_DATA_DIR),
        identity: { configPath, configHash: sha256(configBytes), engine: engineOf(process.env), build: buildOf() },
        log: (line) => process.stdout.write(`deckhand: ${line}\n`),
      })
    : undefined;
  if (control) process.stdout.write(`deckhand: the CLI's commands run here, through ${control.path} ("deckhand --local" runs one in the CLI)\n`);
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
  reportStore = (text) => {
    process.stdout.write(`deckhand: ${text}\n`);
    if (env.DECKHAND_REPORT_CHANNEL) void bot.context.gateway.post(env.DECKHAND_REPORT_CHANNEL, { text }).catch(() => undefined);
  };
  const jobs = createJobs(services, report);
  jobs.start();
  const watchdog = createWatchdog(services, env.DECKHAND_WATCHDOG_INTERVAL, (notes) => report(renderRecoveryReport(notes)));
  // The start-up check (a serving container to start again and health-check, a deploy a dead process left half-done)
  // runs while the bot already answers: a repair can take an app's whole health timeout, and Slack gives a command 3 s.
  // Each app's lease keeps a command on that app from racing the check (it is told what holds the app). The watchdog
  // starts after it, and what it repaired is reported as the watchdog's repairs are.
  let stopping = false;
  const startUpCheck = checkAtStart(services, report, Boolean(env.DECKHAND_REPORT_CHANNEL)).finally(() => {
    if (!stopping) watchdog.start();
  });
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
  stopping = true;
  process.stdout.write(`deckhand: stopping; waiting up to ${SHUTDOWN_MS / 1000} s for running deploys to finish\n`);
  control?.stop();
  jobs.stop();
  watchdog.stop();
  sweeper.stop();
  await bot.app.stop();
  // Bounded shutdown (DESIGN): a Slack that rate-limits or refuses must not hold the process. After the bound, the
  // outbox gives every message one last try; a deploy still running is left to recovery at the next start.
  if (!(await within(Promise.all([bot.idle(), control?.idle(), startUpCheck]), SHUTDOWN_MS))) process.stdout.write('deckhand: work still running at the shutdown bound; recovery will close it at the next start\n');
  bot.context.gateway.outbox.close();
  await control?.close();
  await within(bot.idle(), 5_000);
  await within(services.close(), 5_000);
  return 0;
}

const SHUTDOWN_MS = 20_000;

/** The start-up check: every repair on stdout and, with a report channel, posted (not awaited: Slack may retry for minutes). */
async function checkAtStart(services: Services, report: (message: Message) => Promise<void>, toChannel: boolean): Promise<void> {
  try {
    const notes = await services.deploys.reconcile();
    for (const note of notes) process.stdout.write(`deckhand: reconcile: ${note}\n`);
    if (notes.length > 0 && toChannel) void report(renderRecoveryReport(notes)).catch((error: unknown) => process.stderr.write(`deckhand: could not report the start-up repairs: ${asDeckhandError(error).message}\n`));
  } catch (error) {
    process.stderr.write(`deckhand: the start-up check failed (the watchdog tries again): ${asDeckhandError(error).message}\n`);
  }
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined; // createServices says what is wrong with it
  }
}

function storeEventText(event: StoreEvent): string {
  if (event.type === 'serving') {
    const created = event.created ? `created by pid ${event.created.pid} (peak ${event.created.peakMb} MB, exited) and ` : '';
    return `embedded store ${created}${event.restarted ? 'restarted and ' : ''}serving (store process pid ${event.pid})`;
  }
  if (event.type === 'standby') return `embedded store owned by deckhand pid ${event.ownerPid}: going through it; store process pid ${event.pid} takes over when it stops`;
  return `the embedded store process (pid ${event.pid}) stopped (${event.how}); queries in flight failed as database_unavailable; starting it again in ${event.restartInMs} ms`;
}

/** Resolves true when `work` settled within `ms`, false when the bound came first. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([work.then(() => true, () => true), bound]).finally(() => clearTimeout(timer));
}

// Exit explicitly: work still running after the shutdown bound must not keep the process alive.
main().then(
  (code) => process.exit(code),
  (error) => {
    const e = asDeckhandError(error);
    process.stderr.write(`deckhand: ${e.code}: ${e.message}\n`);
    process.exit(1);
  },
);
