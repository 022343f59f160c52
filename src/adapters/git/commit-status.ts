import { spawn } from 'node:child_process';

export interface CommitStatus {
  present: boolean;
  reachable: boolean;
}

/** Where and how git runs: the mirror, an allow-listed environment, and a deadline per process. */
export interface GitRun {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
}

const FULL_SHA = /^[0-9a-f]{40,64}$/;

/**
 * Runs one git process (argv only), writes `input` to its stdin, and hands each line of its stdout to `onLine`;
 * when `onLine` returns true the answer is complete and git is stopped early. Resolves only once the process is
 * gone (reaped on every path: success, failure, early stop, timeout).
 */
export function gitLines(run: GitRun, args: string[], input: string | undefined, onLine: (line: string) => boolean | void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: run.cwd, env: run.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let settled = false;
    let stopped = false;
    let timedOut = false;
    let rest = '';
    let stderr = '';
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const stop = () => {
      stopped = true;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutMs);
    const take = (line: string) => {
      if (!stopped && onLine(line)) stop();
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (stopped) return;
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) take(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.once('error', (error) => settle(error));
    child.once('close', (code) => {
      if (rest) take(rest);
      if (timedOut) settle(new Error(`git ${args[0]} did not finish within ${run.timeoutMs} ms`));
      else if (stopped || code === 0) settle();
      else settle(new Error(stderr.trim() || `git ${args[0]} exited with code ${code}`));
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // git may exit before reading all of it; the exit code says what happened
      child.stdin.end(input);
    }
  });
}

/**
 * Whether each commit's objects are in the mirror and whether a branch or tag still reaches it, in two git
 * processes whatever the number of commits: one `cat-file --batch-check` for presence, one `rev-list` walk from
 * every branch and tag for reachability, stopped as soon as it has passed every present commit. A git failure
 * answers "absent" / "unreachable" for what it could not confirm (both keep images, never prune more).
 */
export async function commitsStatusIn(run: GitRun, shas: string[]): Promise<Map<string, CommitStatus>> {
  const result = new Map<string, CommitStatus>(shas.map((sha) => [sha, { present: false, reachable: false }]));
  const valid = [...new Set(shas)].filter((sha) => FULL_SHA.test(sha));
  if (valid.length === 0) return result;
  const present = new Set<string>();
  await gitLines(run, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], `${valid.join('\n')}\n`, (line) => {
    const [sha = '', type] = line.trim().split(' ');
    if (type === 'commit' && result.has(sha)) present.add(sha);
  }).catch(() => undefined);
  const pending = new Set(present);
  const reachable = new Set<string>();
  if (pending.size > 0) {
    await gitLines(run, ['rev-list', '--branches', '--tags'], undefined, (line) => {
      const sha = line.trim();
      if (pending.delete(sha)) reachable.add(sha);
      return pending.size === 0;
    }).catch(() => undefined);
  }
  for (const sha of present) result.set(sha, { present: true, reachable: reachable.has(sha) });
  return result;
}
