/**
 * The CLI's control socket: a running bot serves `<DECKHAND_DATA_DIR>/control.sock`, and the CLI hands it a command
 * instead of loading Docker, git and the store itself. JSON lines both ways. Node built-ins only: the thin client
 * (main-cli.ts) imports this before anything else, and the bot's server imports the same file, so both sides
 * compute the same identity.
 *
 *   bot → CLI   {type:'hello', version, pid}                                  on connect
 *   CLI → bot   {type:'run', version, argv, actor, configPath, configHash, engine, build, json, tty}
 *   bot → CLI   {type:'refused', reason} | {type:'error', message}            nothing ran: the CLI runs locally
 *               {type:'accepted', command, app}
 *   CLI → bot   {type:'go'}                                                   only now does the bot run it
 *   bot → CLI   {type:'out'|'err', text} … {type:'confirm', id, question} … {type:'exit', code}
 *   CLI → bot   {type:'answer', id, answer: true|false|null}, {type:'interrupt'}  (Ctrl-C)
 *
 * The `go` step makes the hand-over exact: a CLI that gave up waiting (and runs the command itself) never sends it,
 * so the bot never runs a command the CLI also runs.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unixSocketPath } from '../socket-path.js';

export const CONTROL_VERSION = 1;

/** Commands the bot runs for the CLI: every one that needs the store or more. `help` stays local. */
export const DELEGABLE = new Set(['deploy', 'deploys', 'status', 'audit', 'plan-rollback', 'rollback', 'abort', 'lock', 'unlock', 'prune', 'pin', 'unpin', 'recover']);

/**
 * Environment variables that change what a command does (which database, engine, proxy, timings, registry
 * credentials). A CLI whose values differ from the bot's runs locally: the bot would act on another setup.
 * Bot-only settings (Slack, PORT, cron, report channel) are not compared.
 */
export const ENGINE_ENV = [
  'DATABASE_URL',
  'DECKHAND_CADDY_ADMIN_URL',
  'DECKHAND_PROXY',
  'DECKHAND_PUBLIC_HOST',
  'DECKHAND_DRAIN',
  'DECKHAND_LOCK_LEASE',
  'DECKHAND_LOG_TAIL_LINES',
  'DECKHAND_RUNTIME',
  'DECKHAND_DOCKER_TIMEOUT',
  'DECKHAND_REGISTRY_AUTH',
  'DECKHAND_REGISTRY_CA',
  'DOCKER_SOCKET',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
] as const;

/** What the bot loaded and runs with; a request must match all of it to be run by the bot. */
export interface ControlIdentity {
  configPath: string;
  configHash: string;
  engine: string;
  build: string;
}

export interface ControlRequest extends ControlIdentity {
  type: 'run';
  version: number;
  argv: string[];
  /** The default actor (`cli:<os user>` of the CLI's process); `--actor` in argv still wins, as locally. */
  actor: string;
  json: boolean;
  /** Whether the CLI can ask a question on a terminal (local semantics: no terminal, no confirmation). */
  tty: boolean;
}

/** The control socket of the data dir (resolved against the working directory, as the bot resolves it). */
export function controlSocketPath(dataDir: string): string {
  const dir = resolve(dataDir);
  return unixSocketPath(join(dir, 'control.sock'), dir, 'control.sock');
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The apps file as the CLI (or the bot) resolves it: `--config`, else DECKHAND_CONFIG, else ./deckhand.yml. */
export function configPathOf(configOption: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(configOption ?? (env.DECKHAND_CONFIG || './deckhand.yml'));
}

/** sha256 of the apps file's bytes, or undefined when it cannot be read (then the CLI runs locally and says why). */
export function configHashOf(path: string): string | undefined {
  try {
    return sha256(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** A digest of ENGINE_ENV (unset and empty are the same, as the env parser treats them). */
export function engineOf(env: NodeJS.ProcessEnv): string {
  return sha256(JSON.stringify(ENGINE_ENV.map((name) => [name, env[name] ?? ''])));
}

/**
 * Which deckhand code this is: size and mtime of the installed cli module beside this one (dist/cli.js, or
 * src/cli.ts under tsx). A bot still running code older than the CLI's (an upgrade not yet restarted) refuses.
 */
export function buildOf(): string {
  for (const name of ['../cli.js', '../cli.ts']) {
    try {
      const stat = statSync(fileURLToPath(new URL(name, import.meta.url)));
      return `${stat.size}:${stat.mtimeMs}`;
    } catch {
      /* try the other */
    }
  }
  return 'unknown';
}

/** Options of `deckhand` that take a value (the thin client finds the command and --config without the parser). */
const VALUE_OPTIONS = new Set(['--config', '--image', '--limit', '--actor', '--message', '-m', '--app']);

/** The command name and `--config` of argv, as far as the thin client needs them; `help` when help is asked. */
export function scanArgv(argv: readonly string[]): { command?: string; config?: string; help: boolean; local: boolean } {
  let command: string | undefined;
  let config: string | undefined;
  let help = false;
  let local = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      command ??= argv[i + 1];
      break;
    }
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--local') local = true;
    else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else if (VALUE_OPTIONS.has(arg)) {
      if (arg === '--config') config = argv[i + 1];
      i++;
    } else if (!arg.startsWith('-')) command ??= arg;
  }
  return { command, config, help: help || command === 'help', local };
}

/** The OS user running this process (the default actor is `cli:<it>`). */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * Calls `onLine` for every newline-ended line the socket sends (both sides speak JSON lines). An unfinished line
 * longer than `tooLong.max` is dropped and reported.
 */
export function readLines(socket: Socket, onLine: (line: string) => void, tooLong?: { max: number; then: () => void }): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let at: number;
    while ((at = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      onLine(line);
    }
    if (tooLong && buffered.length > tooLong.max) {
      buffered = '';
      tooLong.then();
    }
  });
}
