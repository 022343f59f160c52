import { execFile as execFileCb } from 'node:child_process';
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
