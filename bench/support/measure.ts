import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One GET on 127.0.0.1 with a fresh connection; never throws (status 0 on a network error). */
export function probe(port: number, path = '/', timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/**
 * Polls the port in a tight loop (no sleep between attempts) until it answers 2xx, with `body` when given.
 * Resolves `performance.now()` at that answer; rejects after `timeoutMs`.
 */
export async function firstAnswer(port: number, body?: string, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await probe(port);
    if (answer.status >= 200 && answer.status < 300 && (body === undefined || answer.body.trim() === body)) return performance.now();
    if (performance.now() > deadline) throw new Error(`127.0.0.1:${port} did not answer ${body ? `"${body}"` : '2xx'} within ${timeoutMs} ms (last: ${answer.status} ${answer.body.slice(0, 60)})`);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child process: when it exited (performance.now()), its exit code and output. */
export function spawnTimed(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const started = performance.now();
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; at: number; output: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: performance.now(), output })),
  );
  return { child, started, exited, output: () => output };
}

/** Runs `fn` n times, returning the milliseconds each took. */
export async function repeat(n: number, fn: (i: number) => Promise<number | void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t = performance.now();
    const measured = await fn(i);
    out.push(typeof measured === 'number' ? measured : performance.now() - t);
  }
  return out;
}
