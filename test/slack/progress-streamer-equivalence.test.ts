import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressStreamer, type StreamOptions } from '../../src/adapters/slack/progress-streamer.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { DeckhandError } from '../../src/domain/errors.js';
import { useMockedGateway } from '../helpers/mock-gateway.js';
import type { SlackCall } from '../helpers/slack-mock.js';
import { APP, deployTitle, deployment, ev, health, log, phase } from '../helpers/stream-events.js';
import { ReferenceProgressStreamer } from './progress-streamer-reference.js';

const mocked = useMockedGateway();
const INTERVAL = 1000;

/** A step of a scenario: an event, a tick of the streamer's interval, or waiting until every queued Slack call is done. */
type Step = DeployEvent | { tick: true } | { drain: true };
const TICK = { tick: true } as const;
const DRAIN = { drain: true } as const;
interface Scenario {
  options: Omit<StreamOptions, 'channel' | 'app' | 'intervalMs'>;
  /** Open the thread first (a streamer started by a slash command), or let the first event of `options.deploymentId` open it. */
  open: boolean;
  steps: Step[];
  end: { finish: Deployment } | { refused: unknown };
}
type Streamer = Pick<ProgressStreamer, 'open' | 'handle' | 'finish' | 'refused'>;

/** What Slack received, in order, with message timestamps, file ids and multipart boundaries named by first appearance. */
function received(calls: SlackCall[]): string[] {
  const names = new Map<string, string>();
  const name = (raw: string) => names.get(raw) ?? (names.set(raw, `<${names.size}>`), names.get(raw)!);
  return calls.map((c) => {
    let text = JSON.stringify({ method: c.method, args: c.args });
    if (c.method === 'upload') {
      const boundary = String(c.args.content).split(/\r?\n/)[0]!;
      text = text.split(boundary).join('<boundary>');
    }
    return text.replace(/\d{10}\.\d{6}/g, name).replace(/F\d{10}/g, name);
  });
}

async function play(make: () => Streamer, scenario: Scenario): Promise<string[]> {
  mocked.slack.reset();
  const streamer = make();
  if (scenario.open) await streamer.open();
  for (const step of scenario.steps) {
    if ('tick' in step) vi.advanceTimersByTime(INTERVAL);
    else if ('drain' in step) await streamer.open(); // once the thread is open, open() only waits for the queue
    else streamer.handle(step);
  }
  if ('finish' in scenario.end) await streamer.finish(scenario.end.finish);
  else await streamer.refused(scenario.end.refused);
  return received(mocked.slack.calls);
}

async function bothSend(scenario: Scenario): Promise<{ now: string[]; before: string[] }> {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  try {
    const options = { channel: 'C1STREAM', app: APP, intervalMs: INTERVAL, ...scenario.options };
    const before = await play(() => new ReferenceProgressStreamer(mocked.gateway, options), scenario);
    const now = await play(() => new ProgressStreamer(mocked.gateway, options), scenario);
    return { now, before };
  } finally {
    vi.useRealTimers();
  }
}

/** `n` log lines in batches of `batch`, each batch followed by a tick and a drain (a build that prints for a while). */
function lines(n: number, make: (i: number) => string, batch = n): Step[] {
  const steps: Step[] = [];
  for (let i = 1; i <= n; i += 1) {
    steps.push(log(make(i)));
    if (i % batch === 0) steps.push(TICK, DRAIN);
  }
  return steps;
}

const redact = (text: string) => text.replaceAll('hunter2', '***').replaceAll('s3cr&t', '***');
const serving = deployment('succeeded', { id: 5, commitSha: 'b'.repeat(40) });
const lookups = { serving: async () => serving, previousTarget: async () => 5 };

const scenarios: Record<string, Scenario> = {
  'a short successful deploy': {
    options: { title: deployTitle, kind: 'deploy' },
    open: true,
    steps: [phase('build', 'Building c-stream at ccccccc'), ...lines(5, (i) => `step ${i}`), DRAIN, TICK, DRAIN, phase('start', 'Starting container on port 1'), health(1, false, 'ECONNREFUSED'), health(2, false, 'HTTP 503'), TICK, DRAIN, health(3, true, 'HTTP 200'), phase('health', 'healthy'), ev({ type: 'switch', from: 5, to: 7, mode: 'proxy' }), phase('switch', 'Traffic on port 1 now goes to #7'), phase('cleanup', 'Stopping #5'), phase('done', 'done'), TICK, DRAIN],
    end: { finish: deployment('succeeded') },
  },
  'a long build past the ring, failing in the build (its tail is the build log)': {
    options: { title: deployTitle, kind: 'deploy', maxLogLines: 100, lookups, ref: 'main' },
    open: true,
    steps: [phase('build', 'Building'), ...lines(1000, (i) => `compiling module ${i} ${'x'.repeat(i % 90)}`, 150)],
    end: { finish: deployment('failed', { logTail: Array.from({ length: 5 }, (_, i) => `compiling module ${996 + i} ${'x'.repeat((996 + i) % 90)}`) }) },
  },
  'a build log past the default 50,000 lines, uploaded with the dropped count': {
    options: { title: deployTitle, kind: 'deploy', lookups },
    open: true,
    steps: [phase('build', 'Building'), ...lines(60_000, (i) => `l${i}`, 20_000)],
    end: { finish: deployment('failed') },
  },
  'redacted and hostile text, a container that crashed after it started': {
    options: { title: deployTitle, kind: 'deploy', redact, lookups, ref: 'feature/<x>' },
    open: true,
    steps: [
      phase('build', 'Building with token hunter2'),
      ...lines(30, (i) => (i % 3 ? `pass=hunter2 <b>&amp; \`\`\` ${i}` : `key s3cr&t *bold* ${i}`), 10),
      phase('start', 'Starting container <!channel>'),
      health(1, false, 'HTTP 500 hunter2'),
      TICK, DRAIN,
      health(2, false, 'no answer within 2000 ms'),
    ],
    end: { finish: deployment('failed', { errorCode: 'health_check_failed', error: 'health check failed: hunter2\nsecond line', logTail: ['boot hunter2', 'panic: s3cr&t ```'] }) },
  },
  'a rollback opened by its first event, ignoring other deploys and apps': {
    options: { title: 'Rolling back c-stream to #5', kind: 'rollback', rollbackTarget: 5, deploymentId: 7 },
    open: false,
    steps: [log('before the deploy is known', 7), DRAIN, log('another deploy', 8), ev({ type: 'log', line: 'another app' }, 7, 'other'), phase('artifact', 'Reusing image'), ev({ type: 'result', status: 'succeeded', error: null, durationMs: 5, logTail: [] }), TICK, DRAIN, phase('start', 'Starting'), TICK],
    end: { finish: deployment('succeeded', { rollbackOf: 5, rollbackSource: 'reuse_image' }) },
  },
  'a failed rollback': {
    options: { title: 'Rolling back c-stream to #5', kind: 'rollback', rollbackTarget: 5, lookups },
    open: true,
    steps: [phase('artifact', 'Rebuilding'), ...lines(70, (i) => `rebuild ${i}`, 35), phase('start', 'Starting'), phase('health', 'Waiting')],
    end: { finish: deployment('failed', { errorCode: 'start_failed', error: 'exited 1', logTail: ['container says bye'] }) },
  },
  'work refused after the thread opened': {
    options: { title: deployTitle, kind: 'deploy' },
    open: true,
    steps: [phase('build', 'Building'), log('one line'), TICK, DRAIN],
    end: { refused: new DeckhandError('out_of_date', 'A newer deploy <#3> succeeded first.') },
  },
};

describe('the ring-buffer streamer sends Slack exactly what the streamer before it sent', () => {
  afterEach(() => mocked.slack.server.resetHandlers());

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const { now, before } = await bothSend(scenario);
      expect(before.length).toBeGreaterThan(2);
      expect(now).toEqual(before);
    });
  }

  it('random event sequences, ring sizes and endings', async () => {
    const step = fc.oneof(
      { weight: 8, arbitrary: fc.string({ maxLength: 12 }).map((s) => log(`out ${s} hunter2`)) },
      { weight: 1, arbitrary: fc.constantFrom('build', 'start', 'health', 'switch', 'cleanup', 'done').map((p) => phase(p, `${p} s3cr&t`)) },
      { weight: 1, arbitrary: fc.tuple(fc.nat(9), fc.boolean()).map(([n, ok]) => health(n, ok, `HTTP ${ok ? 200 : 503}`)) },
      { weight: 1, arbitrary: fc.constant<Step>(TICK) },
      { weight: 2, arbitrary: fc.constant<Step>(DRAIN) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('succeeded', 'failed', 'reverted'), fc.array(fc.constantFrom('out a hunter2', 'boot', 'x'), { maxLength: 3 }), async (steps, maxLogLines, status, tail) => {
        const ending = deployment(status as Deployment['status'], { logTail: tail, errorCode: status === 'succeeded' ? null : 'health_check_failed', error: status === 'succeeded' ? null : 'no' });
        const { now, before } = await bothSend({ options: { title: deployTitle, kind: 'deploy', maxLogLines, redact, lookups }, open: true, steps: [...steps, DRAIN], end: { finish: ending } });
        expect(now).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });
});
