import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerSocket } from './infra.js';
import { nsenterArgs } from './netns.js';

const ENTRY = fileURLToPath(new URL('../../src/main-cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const nsenterArgsFor = (ns: { path: string }, argv: string[]) => ['nsenter', ...nsenterArgs(ns, argv)];

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** stdout alone (where --json puts its answer). */
  stdout(): string;
  /** Resolves once stdout or stderr matched `pattern`; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface CliOptions {
  /** Run it inside this network namespace (`nsenter --net=`): its 127.0.0.1, its routes, its listeners. */
  netns?: { path: string };
  /** Arguments for node before the entry (e.g. another --import). */
  nodeArgs?: string[];
  /** Keep stdin as a pipe the test writes to (default: none). */
  stdin?: boolean;
  /** Run this instead of node (terminal.ts: on a pseudo-terminal); `argv` is what node would have been given. */
  wrap?: (argv: string[]) => { command: string; args: string[]; env: Record<string, string> };
}

/** The node arguments that run the real CLI from source (through tsx). */
export const cliNodeArgs = (args: string[], nodeArgs: string[] = []) => ['--import', 'tsx', ...nodeArgs, ENTRY, ...args];

/** The real `deckhand` CLI as a child process (through tsx, no build needed), with the given environment. */
export function startCli(args: string[], env: Record<string, string>, options: CliOptions = {}): CliProcess {
  const argv = cliNodeArgs(args, options.nodeArgs);
  const [nsCommand, ...nsArgs] = options.netns ? nsenterArgsFor(options.netns, [process.execPath, ...argv]) : [];
  const wrapped = nsCommand ? { command: nsCommand, args: nsArgs, env: {} } : (options.wrap?.(argv) ?? { command: process.execPath, args: argv, env: {} });
  const child = spawn(wrapped.command, wrapped.args, { cwd: ROOT, env: { ...process.env, DECKHAND_PROXY: 'none', ...env, ...wrapped.env }, stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let text = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    stdout: () => stdout,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern}; output:\n${text}`)), timeoutMs);
        const check = () => {
          if (pattern.test(text)) finish();
        };
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        void exited.then(() => finish(pattern.test(text) ? undefined : new Error(`exited before ${pattern}; output:\n${text}`)));
        check();
      });
    },
  };
}

/** Runs the CLI to completion; resolves its exit code and output. */
export async function runCliProcess(args: string[], env: Record<string, string>, options: CliOptions = {}): Promise<{ code: number | null; output: string; stdout: string }> {
  const cli = startCli(args, env, options);
  const code = await cli.exited;
  return { code, output: cli.output(), stdout: cli.stdout() };
}

/**
 * The environment of a bot and its CLIs on one embedded store in `work` (apps file `work/deckhand.yml`, data dir
 * `work/data`), recreate strategy, a short drain, and a CLI that waits up to 10 s for the bot's hello: other suites
 * load the machine, and a CLI that gave up waiting would run locally.
 */
export function delegationEnv(work: string): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    HOME: work,
    DATABASE_URL: '',
    DECKHAND_DATA_DIR: join(work, 'data'),
    DECKHAND_CONFIG: join(work, 'deckhand.yml'),
    DOCKER_SOCKET: dockerSocket,
    DECKHAND_DRAIN: '200ms',
    DECKHAND_PROXY: 'none',
    DECKHAND_CLI_BOT_WAIT_MS: '10000',
  };
}
