import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { blockKitViolations } from './block-kit.js';

export const SLACK_API = 'https://slack.test/api/';
export const HOOKS = 'https://hooks.slack.test';

export interface SlackCall {
  method: string;
  at: number;
  args: Record<string, any>;
  result?: Record<string, any>;
}

/**
 * The Slack Web API and response URLs, intercepted by msw. Records every call, answers like Slack, checks every
 * message against Block Kit limits, and can answer 429 with Retry-After to test rate-limit handling.
 */
export function createSlackMock(options: { groups?: Record<string, string[]> } = {}) {
  const calls: SlackCall[] = [];
  const responses: Array<{ url: string; at: number; body: any }> = [];
  const violations: string[] = [];
  let ts = 1_700_000_000;
  let rateLimitNext = 0;
  const limitedUntil = new Map<string, number>();
  const failing = new Map<string, { left: number; status: number }>();
  const refusing = new Map<string, string>();
  const deleted = new Set<string>();
  let answerDelayMs = 0;
  const steps: Array<(step: { kind: 'asked' | 'answered'; method: string }) => void> = [];
  // Every handler goes through this: the call is seen, its answer waits `answerDelayMs` (a slow Slack), then leaves.
  const slow =
    <A extends { request: Request }>(method: (args: A) => string, handler: (args: A) => Promise<Response>) =>
    async (args: A) => {
      const name = method(args);
      for (const step of steps) step({ kind: 'asked', method: name });
      const response = await handler(args);
      if (answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, answerDelayMs));
      for (const step of steps) step({ kind: 'answered', method: name });
      return response;
    };
  const record = (method: string, args: Record<string, any>) => {
    calls.push({ method, at: Date.now(), args });
    if ('blocks' in args || 'text' in args) violations.push(...blockKitViolations(args).map((v) => `${method}: ${v}`));
  };
  const parse = async (request: Request): Promise<Record<string, any>> => {
    const text = await request.text();
    if ((request.headers.get('content-type') ?? '').includes('json')) return JSON.parse(text || '{}');
    const args: Record<string, any> = Object.fromEntries(new URLSearchParams(text));
    for (const key of ['blocks', 'files']) if (typeof args[key] === 'string') args[key] = JSON.parse(args[key]);
    return args;
  };
  const api = (method: string, answer: (args: Record<string, any>) => Record<string, unknown>) =>
    http.post(`${SLACK_API}${method}`, slow(() => method, async ({ request }) => {
      const args = await parse(request);
      if (rateLimitNext > 0 && method !== 'auth.test') {
        rateLimitNext -= 1;
        calls.push({ method: `${method}:429`, at: Date.now(), args });
        return HttpResponse.json({ ok: false, error: 'ratelimited' }, { status: 429, headers: { 'retry-after': '1' } });
      }
      const until = limitedUntil.get(method) ?? 0;
      if (Date.now() < until) {
        calls.push({ method: `${method}:429`, at: Date.now(), args });
        return HttpResponse.json({ ok: false, error: 'ratelimited' }, { status: 429, headers: { 'retry-after': String(Math.ceil((until - Date.now()) / 1000)) } });
      }
      const failure = failing.get(method);
      if (failure && failure.left > 0) {
        failure.left -= 1;
        calls.push({ method: `${method}:${failure.status}`, at: Date.now(), args });
        return new HttpResponse('upstream trouble', { status: failure.status });
      }
      const refusal = refusing.get(String(args.channel ?? args.channel_id ?? ''));
      if (refusal && method !== 'auth.test') {
        calls.push({ method: `${method}:${refusal}`, at: Date.now(), args });
        return HttpResponse.json({ ok: false, error: refusal });
      }
      if (method === 'chat.update' && deleted.has(String(args.ts))) {
        calls.push({ method: `${method}:message_not_found`, at: Date.now(), args });
        return HttpResponse.json({ ok: false, error: 'message_not_found' });
      }
      record(method, args);
      const result = { ok: true, ...answer(args) };
      calls.at(-1)!.result = result;
      return HttpResponse.json(result);
    }));
  const server = setupServer(
    api('auth.test', () => ({ user_id: 'UDECKHAND', bot_id: 'BDECKHAND', team_id: 'T1', url: 'https://t.slack.test/' })),
    api('chat.postMessage', (args) => ({ channel: args.channel, ts: `${(ts += 1)}.000100`, message: { text: args.text } })),
    api('chat.update', (args) => ({ channel: args.channel, ts: args.ts })),
    api('chat.postEphemeral', () => ({ message_ts: `${(ts += 1)}.000200` })),
    api('usergroups.users.list', (args) => ({ users: options.groups?.[args.usergroup] ?? [] })),
    api('files.getUploadURLExternal', (args) => ({ upload_url: `https://files.slack.test/upload/${args.filename}`, file_id: `F${(ts += 1)}` })),
    api('files.completeUploadExternal', (args) => ({ files: (args.files ?? []).map((f: { id: string }) => ({ id: f.id })) })),
    http.post('https://files.slack.test/upload/:name', async ({ request, params }) => {
      calls.push({ method: 'upload', at: Date.now(), args: { name: params.name, content: await request.text() } });
      return new HttpResponse('OK - 1');
    }),
    http.post(`${HOOKS}/*`, slow(() => 'response_url', async ({ request }) => {
      const body = await request.json();
      responses.push({ url: request.url, at: Date.now(), body });
      violations.push(...blockKitViolations(body as object).map((v) => `response_url: ${v}`));
      return new HttpResponse('ok');
    })),
  );
  return {
    server,
    calls,
    responses,
    violations,
    /** Every Web API and response_url answer waits `ms` before it is sent (0: at once again). */
    slowAnswers(ms: number) {
      answerDelayMs = ms;
    },
    /** Called when a Web API or response_url call arrives (`asked`) and when its answer leaves (`answered`). */
    onStep(listener: (step: { kind: 'asked' | 'answered'; method: string }) => void) {
      steps.push(listener);
    },
    /** Answer the next `n` Web API calls with HTTP 429, Retry-After: 1. */
    rateLimit(n: number) {
      rateLimitNext = n;
    },
    /** Answer every call of `method` with HTTP 429 for `ms`, Retry-After saying how long is left (as Slack does). */
    rateLimitFor(method: string, ms: number) {
      limitedUntil.set(method, Date.now() + ms);
    },
    /** Answer the next `n` calls of `method` with an HTTP error (default 500), then as usual. */
    failNext(method: string, n: number, status = 500) {
      failing.set(method, { left: n, status });
    },
    /** Answer every call about `channel` with `{ ok: false, error }` (not_in_channel, channel_not_found, is_archived). */
    refuseChannel(channel: string, error: string) {
      refusing.set(channel, error);
    },
    /** Someone deleted the message `ts` in Slack: updating it is answered `message_not_found`, as Slack does. */
    deleteMessage(ts: string) {
      deleted.add(ts);
    },
    of: (method: string) => calls.filter((c) => c.method === method),
    /** New messages in a channel (posts and file uploads), in order. */
    newMessages: (channel: string) => calls.filter((c) => (c.method === 'chat.postMessage' && c.args.channel === channel) || (c.method === 'files.completeUploadExternal' && c.args.channel_id === channel)),
    /** Replies posted in the thread of `parent`. */
    thread: (parent: SlackCall) => calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts && c.args.thread_ts === parent.result?.ts),
    /** The last text `parent` was updated to. */
    finalText: (parent: SlackCall) => calls.filter((c) => c.method === 'chat.update' && c.args.ts === parent.result?.ts).at(-1)?.args.text as string | undefined,
    /** Forgets the calls, and the faults set with rateLimitFor, failNext, refuseChannel, deleteMessage and slowAnswers. */
    reset() {
      calls.length = 0;
      responses.length = 0;
      limitedUntil.clear();
      failing.clear();
      refusing.clear();
      deleted.clear();
      answerDelayMs = 0;
    },
  };
}

export type SlackMock = ReturnType<typeof createSlackMock>;

/** The smallest gap between two new messages in a channel, in ms (Infinity with fewer than two). */
export function minGapMs(mock: SlackMock, channel: string): number {
  const times = mock.newMessages(channel).map((c) => c.at);
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i += 1) min = Math.min(min, times[i]! - times[i - 1]!);
  return min;
}
