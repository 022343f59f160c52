import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkArguments } from './cli/arguments.js';
import { osUser } from './cli/control-protocol.js';
import { terminalConfirm } from './cli/terminal.js';
import type { CommandContext, ParsedOptions } from './cli/context.js';
import type { Io } from './cli/output.js';
import type { Services } from './compose.js';
import type { AppSpec } from './domain/apps.js';
import type { StoreServices } from './compose-store.js';
import { DeckhandError, asDeckhandError } from './domain/errors.js';

export const USAGE = `Usage: deckhand <command> [options]

Commands:
  deploy <app> [ref] [--image REF] [--force]
                                     Build <ref> (default: the app's branch) or run an image, health-check it,
                                     switch traffic. Exit code 0 only when the deploy succeeded.
  deploys <app> [--limit N]          Recent deploys of <app>, newest first (default 20).
  status [app]                       What serves now (deploy, commit, since, who), its health right now, the lock,
                                     deploys in progress, approvals waiting, the last failure and the rollback
                                     window. Without an app: one line per app. Exit code 1 when not healthy.
  audit [app] [--limit N]            The audit trail, newest first (default 50): who did what, to which deploy.
  plan-rollback <app> <id>           What a rollback to #id would do, with its warnings. Changes nothing.
  rollback <app> [id] [--yes] [--release]
                                     Roll back to #id (default: the previous successful deploy). Shows the plan
                                     and asks unless --yes. Leaves the app locked against forward deploys. The
                                     app's release command (run.release) is skipped unless --release.
  abort <app>                        Stop the app's running deploy or rollback (here or in the bot): it ends
                                     cancelled and the previous version keeps serving.
  lock <app> -m REASON               Refuse forward deploys of <app> until unlocked (deploy --force overrides).
  lock status                        Which apps are locked, by whom and why.
  unlock <app>                       Allow deploys again.
  prune [--app A] [--dry-run]        Remove images retention no longer keeps (see README: Retention).
  pin <app> <id>                     Keep a deploy's image whatever the retention policy says.
  unpin <app> <id>                   Stop keeping it: retention may prune it again.
  recover [app]                      Make the record match what runs (after a crash): restart a stopped serving
                                     container, re-point the proxy, close half-done deploys. Never removes what serves.
  help                               This text.

Options:
  --config FILE   apps file (default: $DECKHAND_CONFIG or ./deckhand.yml)
  --json          machine-readable output on stdout (progress goes to stderr)
  --actor NAME    who is acting, for the audit trail (default: cli:<os user>)
  --local         run in this process even when a bot runs (break-glass when the bot is wedged; also
                  DECKHAND_CLI_LOCAL=1). Otherwise a running bot with the same apps file and settings runs the
                  command for the CLI over <data dir>/control.sock (README: CLI).
`;

export interface CliContext {
  io: Io;
  env?: NodeJS.ProcessEnv;
  /** Pre-built services (tests); otherwise built from the environment. */
  services?: Services;
  /** Answers confirmations (tests, the bot for a delegated CLI); otherwise asks on the terminal, or nobody when there is none. */
  confirm?: CommandContext['confirm'];
  /** The actor when argv has no --actor (a delegated CLI's `cli:<its os user>`); default `cli:<os user>`. */
  actor?: string;
}

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  image: { type: 'string' },
  limit: { type: 'string' },
  actor: { type: 'string' },
  yes: { type: 'boolean', short: 'y', default: false },
  force: { type: 'boolean', default: false },
  release: { type: 'boolean', default: false },
  message: { type: 'string', short: 'm' },
  app: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  // Read by the thin client (main-cli.ts): run here even when a bot serves the control socket.
  local: { type: 'boolean', default: false },
} as const;

/** A command takes the services its entry builds: CommandContext<StoreServices> or CommandContext<Services>. */
type Command = (ctx: CommandContext<any>, args: string[], options: ParsedOptions) => Promise<number>;

/**
 * Each command's module is imported only when that command runs (start-up stays at node's own), and `store`
 * commands get only the apps file and the database: no Docker, git, proxy or Slack module is loaded for them.
 */
interface CommandEntry {
  needs: 'store' | 'all';
  load: () => Promise<Command>;
}

const COMMANDS: Record<string, CommandEntry> = {
  deploy: { needs: 'all', load: async () => (await import('./cli/commands/deploy.js')).deployCommand },
  deploys: { needs: 'store', load: async () => (await import('./cli/commands/deploys.js')).deploysCommand },
  'plan-rollback': { needs: 'all', load: async () => (await import('./cli/commands/rollback.js')).planRollbackCommand },
  rollback: { needs: 'all', load: async () => (await import('./cli/commands/rollback.js')).rollbackCommand },
  lock: { needs: 'store', load: async () => (await import('./cli/commands/locks.js')).lockCommand },
  unlock: { needs: 'store', load: async () => (await import('./cli/commands/locks.js')).unlockCommand },
  prune: { needs: 'all', load: async () => (await import('./cli/commands/prune.js')).pruneCommand },
  pin: { needs: 'store', load: async () => (await import('./cli/commands/pins.js')).pinCommand },
  unpin: { needs: 'store', load: async () => (await import('./cli/commands/pins.js')).unpinCommand },
  recover: { needs: 'all', load: async () => (await import('./cli/commands/recover.js')).recoverCommand },
  status: { needs: 'all', load: async () => (await import('./cli/commands/status.js')).statusCommand },
  audit: { needs: 'store', load: async () => (await import('./cli/commands/audit.js')).auditCommand },
  abort: { needs: 'all', load: async () => (await import('./cli/commands/abort.js')).abortCommand },
};

/**
 * Builds what a command needs from the environment: the store alone, or everything. For everything, the apps file is
 * read and checked first (a bad config touches nothing), then the database opens (connect, migration check) while
 * the engine's modules load: one waits on the network, the other on the CPU, so neither waits for the other.
 */
/** What a CLI rollback asks of the store at once (its plan's reads, then the re-check's four). */
const CLI_CONNECTIONS = 4;

async function servicesFor(needs: CommandEntry['needs'], env: NodeJS.ProcessEnv, configFile: string | undefined): Promise<StoreServices | Services> {
  const { loadEnv } = await import('./config/env.js');
  const options = { env: loadEnv(env), configFile };
  if (needs === 'store') return (await import('./compose-store.js')).createStoreServices(options);
  const [{ loadAppsFile }, { checkRuntimeTargets }] = await Promise.all([import('./config/apps-file.js'), import('./config/runtime-target.js')]);
  const apps = loadAppsFile(resolve(configFile ?? options.env.DECKHAND_CONFIG));
  checkRuntimeTargets(options.env, apps);
  // A command that runs containers reads side by side (a rollback's plan, its re-check under the lease): its
  // connections open together at the start rather than one handshake at a time mid-command.
  const opening = import('./compose-store.js').then((store) => store.createStoreServices({ ...options, apps, connections: CLI_CONNECTIONS }));
  opening.catch(() => undefined); // awaited below on every path
  let compose: typeof import('./compose.js');
  try {
    compose = await import('./compose.js');
  } catch (error) {
    await opening.then((base) => base.close(), () => undefined);
    throw error;
  }
  return compose.createServices({ ...options, apps, base: await opening });
}

/** Every CLI command (USAGE lists each, tests check it). */
export const COMMAND_NAMES = Object.keys(COMMANDS);

/** The command, its arguments and --actor, as runCli reads them; undefined when argv does not parse (a usage error). */
export function parseInvocation(argv: string[]): { name?: string; args: string[]; actor?: string; help: boolean } | undefined {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    const [name, ...args] = positionals;
    return { name, args, actor: values.actor, help: values.help };
  } catch {
    return undefined;
  }
}

/** Runs one CLI command; returns the exit code. Errors print one line: `deckhand: <code>: <message>`. */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const { io } = context;
  let json = argv.includes('--json');
  let services: StoreServices | Services | undefined = context.services;
  let status: { args: string[]; config?: string } | undefined;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    json = values.json;
    const [name, ...args] = positionals;
    if (!name || name === 'help' || values.help) {
      io.out(USAGE);
      return name || values.help ? 0 : 2;
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!entry) throw new DeckhandError('invalid_argument', `Unknown command "${name}". Run "deckhand help".`);
    checkArguments(name, args);
    if (name === 'status') status = { args, config: values.config };
    const command = await entry.load();
    services ??= await servicesFor(entry.needs, context.env ?? process.env, values.config);
    return await command({ io, services, json, actor: values.actor ?? context.actor ?? `cli:${osUser()}`, confirm: context.confirm ?? terminalConfirm }, args, { ...values, dryRun: values['dry-run'] });
  } catch (thrown) {
    const error = thrown instanceof TypeError && (thrown as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? new DeckhandError('invalid_argument', thrown.message) : asDeckhandError(thrown);
    if (status) {
      // The database cannot be read: status still says what runs, from Docker and the proxy.
      const fallback = await import('./cli/commands/status-fallback.js');
      if (fallback.STORE_UNREADABLE.has(error.code)) return await fallback.statusWithoutStore({ io, json, args: status.args, error, view: () => runtimeView(services, context.env ?? process.env, status!.config) });
    }
    if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message } }, null, 2));
    const [first, ...more] = error.message.split('\n');
    io.err(`deckhand: ${error.code}: ${first}`);
    for (const line of more) io.err(`  ${line}`);
    return error.code === 'invalid_argument' ? 2 : 1;
  } finally {
    if (!context.services) await services?.close().catch(() => undefined);
  }
}

/** What runs, for `deckhand status` without the database: through the command's own services when it has them. */
async function runtimeView(services: StoreServices | Services | undefined, env: NodeJS.ProcessEnv, configFile: string | undefined) {
  if (!services || !('status' in services)) return (await import('./compose-view.js')).createRuntimeView(env, configFile);
  const { status } = services;
  const { appsIn } = await import('./domain/apps.js');
  return { apps: appsIn(services.apps), look: (app: AppSpec) => status.fromRuntime(app) };
}
