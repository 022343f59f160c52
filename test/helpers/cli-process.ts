import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../src/main-cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once stdout or stderr matched `pattern`; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * The real `deckhand` CLI as a child process (through tsx, no build needed), with the given environment. `netns`: a
 * network namespace the test created (/var/run/netns/<name>): the CLI runs inside it (`nsenter --net=`), so what it
 * reaches over the network is what that namespace reaches (Unix sockets, files and Postgres's socket still work).
 */
export function startCli(args: string[], env: Record<string, string>, options: { netns?: string } = {}): CliProcess {
  const argv = [process.execPath, '--import', 'tsx', ENTRY, ...args];
  const [command, ...rest] = options.netns ? ['nsenter', `--net=${options.netns}`, ...argv] : argv;
  const child = spawn(command!, rest, { cwd: ROOT, env: { ...process.env, DECKHAND_PROXY: 'none', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
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
export async function runCliProcess(args: string[], env: Record<string, string>, options: { netns?: string } = {}): Promise<{ code: number | null; output: string }> {
  const cli = startCli(args, env, options);
  const code = await cli.exited;
  return { code, output: cli.output() };
}
