import { execFile as execFileCb, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { nsenterArgs } from './netns.js';

const execFile = promisify(execFileCb);

/**
 * The test process lives in the machine's own namespace and cannot reach addresses that exist only inside the
 * test's namespaces. To send HTTP there, a short-lived node process is started INSIDE the namespace with
 * `nsenter --net=` (argv only) and does one fetch, printing {status, body} as JSON.
 */
const FETCH_SCRIPT = `
const [url, authorization, timeout] = process.argv.slice(1);
const headers = authorization ? { authorization } : {};
fetch(url, { headers, signal: AbortSignal.timeout(Number(timeout)) })
  .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))
  .catch((e) => { process.stderr.write(String(e.cause?.code ?? e.message)); process.exit(2); });
`;

export interface NsHttpAnswer {
  status: number;
  body: string;
}

/** GET `url` from inside namespace `ns`; rejects when no HTTP answer came (refused, unreachable, timeout). */
export async function nsHttpGet(ns: { path: string; name?: string }, url: string, options: { basicAuth?: { username: string; password: string }; timeoutMs?: number } = {}): Promise<NsHttpAnswer> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const authorization = options.basicAuth ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}` : '';
  try {
    const { stdout } = await execFile('nsenter', nsenterArgs(ns, [process.execPath, '-e', FETCH_SCRIPT, url, authorization, String(timeoutMs)]), { timeout: timeoutMs + 5000 });
    return JSON.parse(stdout) as NsHttpAnswer;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`GET ${url} from ${ns.name ?? ns.path} got no answer: ${(e.stderr || e.message).trim()}`);
  }
}

/** What a loop writes to stderr at its first good answer. */
export const FIRST_OK = '[first good answer]';
/** What a loop writes to stderr once it runs and its SIGTERM handler is in place: a SIGTERM before it kills it mute. */
export const RUNNING = '[loop running]';

/** Runs in a namespace: GETs the URLs round-robin until SIGTERM, then prints {ok, failed, failures} as JSON. */
const LOOP_SCRIPT = `
const urls = JSON.parse(process.argv[1]);
const expected = process.argv[2];
const result = { ok: 0, failed: 0, failures: [] };
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
process.stderr.write('${RUNNING}');
(async () => {
  for (let i = 0; !stopping; i++) {
    const url = urls[i % urls.length];
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await r.text();
      if (r.status === 200 && (!expected || body === expected)) {
        if (++result.ok === 1) process.stderr.write('${FIRST_OK}');
      } else { result.failed++; result.failures.push(url + ': ' + r.status + ' ' + body.slice(0, 80)); }
    } catch (e) {
      result.failed++;
      result.failures.push(url + ': ' + String(e.cause?.code ?? e.message));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  result.failures = result.failures.slice(0, 20);
  process.stdout.write(JSON.stringify(result));
})();
`;

export interface NsRequestLoop {
  stop(): Promise<LoopResult>;
  /** Resolves at the loop's first good answer; rejects when none came within `limitMs` (default 20 s). */
  answered(limitMs?: number): Promise<void>;
}

export interface LoopResult {
  ok: number;
  failed: number;
  /** The first 20 failures: url, status or error code. */
  failures: string[];
  /** The fresh-connection loop only: the one handshake reset it allows (see ns-fresh-loop.ts). */
  connectResets?: string[];
}

/**
 * A request loop inside namespace `ns` (what a zero-downtime test runs against node addresses): GETs `urls` in turn,
 * counting answers that are 200 (and equal `expectedBody` when given) and everything else. stop() ends it and
 * resolves with the counts.
 */
export function startRequestLoop(ns: { path: string }, urls: string[], expectedBody?: string): NsRequestLoop {
  return startLoopScript(ns, LOOP_SCRIPT, urls, expectedBody);
}

/** Runs a request-loop script (node -e) inside namespace `ns` until stop(), which resolves the counts it printed. */
export function startLoopScript(ns: { path: string }, script: string, urls: string[], expectedBody?: string): NsRequestLoop {
  const child = spawn('nsenter', nsenterArgs(ns, [process.execPath, '-e', script, JSON.stringify(urls), expectedBody ?? '']), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let firstOk = false;
  let running = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
    firstOk ||= stderr.includes(FIRST_OK);
    running ||= stderr.includes(RUNNING);
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    /** Resolves at the loop's first good answer (a node process starting in a namespace may take a while on a busy machine). */
    answered: async (limitMs = 20_000) => {
      for (const deadline = Date.now() + limitMs; !firstOk; await new Promise((resolve) => setTimeout(resolve, 20))) {
        if (exited || Date.now() > deadline) throw new Error(`request loop had no good answer ${exited ? 'before it exited' : `within ${limitMs} ms`}: ${stderr}`);
      }
    },
    stop: async () => {
      // A node process starting in a namespace on a busy machine may take seconds: stopped before its handler is in
      // place, it would die without printing its counts (bounded wait).
      for (const deadline = Date.now() + 30_000; !running && !exited && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGTERM');
      await exit;
      try {
        return JSON.parse(stdout) as LoopResult;
      } catch {
        throw new Error(`request loop gave no result: ${stderr}`);
      }
    },
  };
}
