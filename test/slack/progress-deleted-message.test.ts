import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressStreamer } from '../../src/adapters/slack/progress-streamer.js';
import { SlackGateway } from '../../src/adapters/slack/slack-gateway.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { HOOKS, SLACK_API, type SlackMock, createSlackMock } from '../helpers/slack-mock.js';

const INTERVAL = 200;

function succeeded(): Deployment {
  const now = new Date();
  return {
    id: 9, app: 'web', status: 'succeeded', source: 'git', gitRef: 'main', commitSha: 'd'.repeat(40), commitSubject: 'x', imageRef: 'deckhand/web:9', imageId: 'sha256:x',
    containerId: null, upstreamPort: null, trigger: 'slack', actor: 'U1', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
    errorCode: null, error: null, logTail: [], createdAt: now, startedAt: new Date(now.getTime() - 3000), finishedAt: now,
  };
}

/**
 * Someone deletes one of deckhand's progress messages while the deploy runs. Slack answers the next update of it with
 * `message_not_found` (the Slack stand-in answers as Slack does). The channel is fine: the progress must go on in
 * the channel, and nothing may be told as a channel that refuses deckhand.
 */
describe('progress messages deleted while the deploy runs', () => {
  let slack: SlackMock;
  let gateway: SlackGateway;
  const told: unknown[] = [];

  beforeAll(() => {
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    gateway = new SlackGateway(new WebClient('xoxb-test', { slackApiUrl: SLACK_API, retryConfig: { retries: 0 } }), { gapMs: 20, updateGapMs: 20 });
  });
  afterAll(() => slack.server.close());

  const event = (e: Record<string, unknown>) => ({ deploymentId: 9, app: 'web', at: new Date(), ...e }) as DeployEvent;
  const stream = (channel: string) =>
    new ProgressStreamer(gateway, {
      channel, app: 'web', title: 'Deploying `main` to web', kind: 'deploy', intervalMs: INTERVAL,
      respond: async (message) => void told.push(message),
    });
  const settle = () => new Promise((resolve) => setTimeout(resolve, INTERVAL * 3));
  const posts = (channel: string) => slack.of('chat.postMessage').filter((c) => c.args.channel === channel);
  const updatesOf = (ts: string) => slack.of('chat.update').filter((c) => c.args.ts === ts);
  /** A deploy streaming into `channel`: its parent, a build phase, a log line (and a health attempt), all sent. */
  const building = async (channel: string, health: boolean) => {
    slack.reset();
    told.length = 0;
    const streamer = stream(channel);
    await streamer.open();
    streamer.handle(event({ type: 'phase', phase: 'build', message: 'Building web at ddddddd' }));
    streamer.handle(event({ type: 'log', line: 'step 1: compile' }));
    if (health) streamer.handle(event({ type: 'health', attempt: 1, ok: false, detail: 'HTTP 503' }));
    await settle();
    return { streamer, parent: posts(channel)[0] };
  };

  it('the parent deleted: posted again in the channel, its thread starts again there, and the result lands on it', async () => {
    const { streamer, parent } = await building('C1DEL', true);
    expect(parent!.args.thread_ts).toBeUndefined();
    slack.deleteMessage(parent!.result!.ts as string);

    streamer.handle(event({ type: 'log', line: 'step 2: link' }));
    streamer.handle(event({ type: 'phase', phase: 'start', message: 'Starting container on port 1' }));
    await settle();
    await streamer.finish(succeeded());

    expect(slack.calls.some((c) => c.method === 'chat.update:message_not_found' && c.args.ts === parent!.result!.ts)).toBe(true);
    const parents = posts('C1DEL').filter((c) => c.args.thread_ts === undefined);
    expect(parents).toHaveLength(2);
    const again = parents[1]!;
    expect(again.args.text).toContain('Deploying `main` to web');
    expect(slack.finalText(again)).toMatch(/Deployed web #9 \(`ddddddd`\)/);
    // The reposted parent says where the deploy is (a phase reply sent before deckhand learnt of the deletion went to
    // the old thread); what followed went into the new thread: the log and health replies again, and the result.
    expect(JSON.stringify(again.args)).toContain('Starting container on port 1');
    const thread = slack.thread(again);
    const log = thread.find((c) => c.args.text === 'Build log')!;
    expect(JSON.stringify(updatesOf(log.result!.ts as string).at(-1)?.args.blocks ?? log.args.blocks)).toContain('step 2: link');
    expect(thread.some((c) => /Health check attempt 1/.test(c.args.text))).toBe(true);
    expect(thread.some((c) => /Deployed web #9/.test(c.args.text))).toBe(true);
    // Not a channel problem: nothing through response_url, no error kept.
    expect(told).toEqual([]);
    expect(slack.responses.filter((r) => r.url.startsWith(HOOKS))).toEqual([]);
    expect(streamer.errors).toEqual([]);
  });

  it('the build-log reply deleted: the log is posted again in the same thread and updated there; the parent is untouched', async () => {
    const { streamer, parent } = await building('C2DEL', false);
    const firstLog = slack.thread(parent!).find((c) => c.args.text === 'Build log')!;
    slack.deleteMessage(firstLog.result!.ts as string);

    streamer.handle(event({ type: 'log', line: 'step 2: link' }));
    await settle();
    streamer.handle(event({ type: 'log', line: 'step 3: done' }));
    await streamer.finish(succeeded());

    const logs = slack.thread(parent!).filter((c) => c.args.text === 'Build log');
    expect(logs).toHaveLength(2);
    const last = updatesOf(logs[1]!.result!.ts as string).at(-1) ?? logs[1]!;
    expect(JSON.stringify(last.args.blocks)).toContain('step 3: done');
    expect(posts('C2DEL').filter((c) => c.args.thread_ts === undefined)).toHaveLength(1);
    expect(slack.finalText(parent!)).toMatch(/Deployed web #9/);
    expect(told).toEqual([]);
    expect(streamer.errors).toEqual([]);
  });
});
