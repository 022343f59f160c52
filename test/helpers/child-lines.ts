import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LineChild {
  pid: number;
  /** Parsed JSON lines printed so far (non-JSON lines are kept as { text }). */
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** Everything printed on stdout. */
  stdout(): string;
  /** Resolves with the first line matching, rejects if the process exits first or `ms` pass. */
  waitFor(match: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

const children = new Set<ChildProcess>();

/** Runs `node --import tsx <script> ...args` in the repository root, reading one JSON object per stdout line. */
export function startNode(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): LineChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: Array<Record<string, unknown>> = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let stdout = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        lines.push({ text: part });
      }
    }
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      for (const listener of listeners) listener();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    pid: child.pid!,
    lines,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor: (match, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found) return done(() => resolve(found));
          if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`${script} ${args.join(' ')} exited: ${JSON.stringify(lines)} ${stderr}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting on ${script}: ${JSON.stringify(lines)} ${stderr}`))), ms);
        const done = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Ends every child still running (test teardown, also after a failure). */
export async function killAllChildren(): Promise<void> {
  const waiting = [...children].map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve))));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(waiting);
}
