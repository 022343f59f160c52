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

/** Probes start this often (one at a time), for every floor and figure alike. */
export const PROBE_EVERY_MS = 5;

/** Probes `port` one at a time, a probe starting every `everyMs` (the next at once when one took longer), until `done` says so. */
async function probeEvery(port: number, everyMs: number, done: (answer: { status: number; body: string }) => boolean): Promise<void> {
  for (;;) {
    const sent = performance.now();
    if (done(await probe(port))) return;
    const wait = sent + everyMs - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

/**
 * Polls the port until it answers 2xx (with `body` when given), a probe every PROBE_EVERY_MS. Not a tight loop:
 * through Caddy every probe also costs the old version a process (busybox httpd forks per request), and a loop of
 * thousands a second took a core from the engine starting the new container, so the probe's own load was part of the
 * figure but not of the floor (whose probes are refused at once). Resolves `performance.now()` at that answer (so
 * detection is at most `everyMs` late); rejects after `timeoutMs`. `everyMs` 0 is a tight loop, for a figure that
 * measures lateness itself (health detection).
 */
export async function firstAnswer(port: number, body?: string, timeoutMs = 60_000, everyMs = PROBE_EVERY_MS): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let at = 0;
  await probeEvery(port, everyMs, (answer) => {
    if (answer.status >= 200 && answer.status < 300 && (body === undefined || answer.body.trim() === body)) {
      at = performance.now();
      return true;
    }
    if (performance.now() > deadline) throw new Error(`127.0.0.1:${port} did not answer ${body ? `"${body}"` : '2xx'} within ${timeoutMs} ms (last: ${answer.status} ${answer.body.slice(0, 60)})`);
    return false;
  });
  return at;
}

/** Probes `port` every PROBE_EVERY_MS in the background (answers ignored) until stopped: a figure's probe load. */
export function probeLoad(port: number): { stop(): Promise<void> } {
  let running = true;
  const done = probeEvery(port, PROBE_EVERY_MS, () => !running);
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
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
