import { spawn } from 'node:child_process';

/** Where and how git runs: a directory, an allow-listed environment, and a deadline per process. */
export interface GitRun {
  cwd?: string;
  env: Record<string, string>;
  timeoutMs: number;
  /**
   * The deadline counts from git's last output rather than from its start: for clone and fetch, whose time grows
   * with the repository and the network, as long as git still says something.
   */
  idle?: boolean;
}

const PASSED_THROUGH = ['PATH', 'HOME', 'USER', 'TMPDIR', 'SSH_AUTH_SOCK', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/** An allow-listed environment: no editor, pager or hook variables reach git; no prompt can hang a deploy. */
export function gitEnv(): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  for (const key of PASSED_THROUGH) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** More than any answer deckhand reads whole (a log of a few commits, a list of paths); a larger one is an error. */
const MAX_TEXT = 8 * 1024 * 1024;

/**
 * Runs one git process (argv only, never a shell), writes `input` to its stdin, and hands its stdout to `onData`;
 * when `onData` returns true the answer is complete and git is stopped early. Settles as soon as the process is gone
 * (reaped on every path: success, failure, early stop, timeout), on no timer of its own: an answer with no output
 * is as quick as any other.
 */
function runGit(run: GitRun, args: string[], input: string | undefined, onData: (chunk: string) => boolean | void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: run.cwd, env: run.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let settled = false;
    let stopped = false;
    let timedOut = false;
    let failure: Error | undefined;
    let stderr = '';
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const stop = (error?: Error) => {
      failure ??= error;
      stopped = true;
      child.kill('SIGKILL');
    };
    let timer = setTimeout(expire, run.timeoutMs);
    function expire() {
      timedOut = true;
      stop();
    }
    const heard = () => {
      if (!run.idle || stopped) return;
      clearTimeout(timer);
      timer = setTimeout(expire, run.timeoutMs);
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      heard();
      if (stopped) return;
      try {
        if (onData(chunk)) stop();
      } catch (error) {
        stop(error as Error);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      heard();
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.once('error', (error) => settle(error));
    child.once('close', (code) => {
      if (failure) settle(failure);
      else if (timedOut) settle(new Error(`git ${args[0]} did not finish within ${run.timeoutMs} ms${run.idle ? ' of silence' : ''}`));
      else if (stopped || code === 0) settle();
      else settle(new Error(stderr.trim() || `git ${args[0]} exited with code ${code}`));
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // git may exit before reading all of it; the exit code says what happened
      child.stdin.end(input);
    }
  });
}

/** git's whole stdout, once it exited 0; else its stderr as the error's message (what gitMessage reads). */
export async function gitText(run: GitRun, args: string[], input?: string): Promise<string> {
  let text = '';
  await runGit(run, args, input, (chunk) => {
    text += chunk;
    if (text.length > MAX_TEXT) throw new Error(`git ${args[0]} answered more than ${MAX_TEXT} bytes`);
  });
  return text;
}

/**
 * Hands each line of git's stdout to `onLine`; when `onLine` returns true the answer is complete and git is
 * stopped early (a walk need not reach its end).
 */
export async function gitLines(run: GitRun, args: string[], input: string | undefined, onLine: (line: string) => boolean | void): Promise<void> {
  let rest = '';
  let done = false;
  const take = (line: string) => (done ||= onLine(line) === true);
  await runGit(run, args, input, (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (take(line)) return true;
    return false;
  });
  if (rest && !done) take(rest);
}
