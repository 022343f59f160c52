import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { type Services, createServices } from './compose.js';
import { loadEnv } from './config/env.js';
import { type Io, deploymentJson, formatDeploymentTable, formatEvent } from './cli/output.js';
import { DeckhandError, asDeckhandError } from './domain/errors.js';

export const USAGE = `Usage: deckhand <command> [options]

Commands:
  deploy <app> [ref] [--image REF]   Build <ref> (default: the app's branch) or run an image, health-check it,
                                     switch traffic. Exit code 0 only when the deploy succeeded.
  deploys <app> [--limit N]          Recent deploys of <app>, newest first (default 20).
  help                               This text.

Options:
  --config FILE   apps file (default: $DECKHAND_CONFIG or ./deckhand.yml)
  --json          machine-readable output on stdout (progress goes to stderr)
  --actor NAME    who is acting, for the audit trail (default: cli:<os user>)
`;

export interface CliContext {
  io: Io;
  env?: NodeJS.ProcessEnv;
  /** Pre-built services (tests); otherwise built from the environment. */
  services?: Services;
}

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  image: { type: 'string' },
  limit: { type: 'string' },
  actor: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Runs one CLI command; returns the exit code. Errors print one line: `deckhand: <code>: <message>`. */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const { io } = context;
  let json = argv.includes('--json');
  let services = context.services;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    json = values.json;
    const [command, ...rest] = positionals;
    if (!command || command === 'help' || values.help) {
      io.out(USAGE);
      return command || values.help ? 0 : 2;
    }
    if (command !== 'deploy' && command !== 'deploys') {
      throw new DeckhandError('invalid_argument', `Unknown command "${command}". Run "deckhand help".`);
    }
    const [app, ref, extra] = rest;
    if (!app) throw new DeckhandError('invalid_argument', `Missing <app>. Usage: deckhand ${command} <app>${command === 'deploy' ? ' [ref] [--image REF]' : ' [--limit N]'}`);
    if (extra !== undefined || (command === 'deploys' && ref !== undefined)) throw new DeckhandError('invalid_argument', `Too many arguments for "deckhand ${command}".`);
    const actor = values.actor ?? `cli:${safeUser()}`;
    services ??= await createServices({ env: loadEnv(context.env ?? process.env), configFile: values.config });

    if (command === 'deploys') {
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new DeckhandError('invalid_argument', '--limit must be a whole number from 1 to 500.');
      services.deploys.requireApp(app);
      const rows = await services.store.list(app, limit);
      io.out(json ? JSON.stringify(rows.map(deploymentJson), null, 2) : formatDeploymentTable(rows));
      return 0;
    }

    // Validate before anything is fetched or built, so bad input changes nothing.
    services.deploys.target({ app, ref, image: values.image });
    const print = json ? io.err : io.out;
    const unsubscribe = services.bus.subscribe((event) => print(formatEvent(event)));
    try {
      const result = await services.deploys.deploy({ app, ref, image: values.image, actor, trigger: 'cli' });
      if (json) io.out(JSON.stringify(deploymentJson(result), null, 2));
      if (result.status !== 'succeeded') {
        if (!json) {
          for (const line of result.logTail ?? []) io.err(`  | ${line}`);
          io.err(`deckhand: ${result.errorCode ?? 'failed'}: deploy #${result.id} failed: ${result.error}`);
        }
        return 1;
      }
      if (!json) io.out(`Deployed ${app} #${result.id} (${result.commitSha?.slice(0, 7) ?? result.imageRef}).`);
      return 0;
    } finally {
      unsubscribe();
    }
  } catch (thrown) {
    const error = thrown instanceof TypeError && (thrown as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? new DeckhandError('invalid_argument', thrown.message) : asDeckhandError(thrown);
    if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message } }, null, 2));
    const [first, ...more] = error.message.split('\n');
    io.err(`deckhand: ${error.code}: ${first}`);
    for (const line of more) io.err(`  ${line}`);
    return error.code === 'invalid_argument' ? 2 : 1;
  } finally {
    if (!context.services) await services?.close().catch(() => undefined);
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
