import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressStreamer } from '../../src/adapters/slack/progress-streamer.js';
import { SlackGateway } from '../../src/adapters/slack/slack-gateway.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { SLACK_API, type SlackMock, createSlackMock, minGapMs } from '../helpers/slack-mock.js';

const CHANNEL = 'C7BUSY';
const INTERVAL = 500;

function deployment(status: Deployment['status'], logTail: string[] = []): Deployment {
  const now = new Date();
  return {
    id: 7, app: 'busy', status, source: 'git', gitRef: 'main', commitSha: 'c'.repeat(40), commitSubject: 'x', imageRef: 'deckhand/busy:7', imageId: 'sha256:x',
    containerId: null, upstreamPort: null, trigger: 'slack', actor: 'U1', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
    errorCode: status === 'failed' ? 'build_failed' : null, error: status === 'failed' ? 'The Docker build failed: step 3' : null, logTail,
    createdAt: now, startedAt: new Date(now.getTime() - 4000), finishedAt: now,
  };
}

describe('progress streamer under a flood of build output', () => {
  let slack: SlackMock;
  let gateway: SlackGateway;

  beforeAll(() => {
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    gateway = new SlackGateway(new WebClient('xoxb-test', { slackApiUrl: SLACK_API, retryConfig: { retries: 3, factor: 1, minTimeout: 100 } }));
  });
  afterAll(() => slack.server.close());

  const event = (e: Record<string, unknown>) => ({ deploymentId: 7, app: 'busy', at: new Date(), ...e }) as DeployEvent;

  it('10,000 log lines: at most one log update per interval, never two new messages in a second, the full log uploaded on failure', async () => {
    slack.reset();
    const streamer = new ProgressStreamer(gateway, { channel: CHANNEL, app: 'busy', title: 'Deploying `main` to busy', kind: 'deploy', intervalMs: INTERVAL });
    const started = Date.now();
    await streamer.open();
    streamer.handle(event({ type: 'phase', phase: 'build', message: 'Building busy at ccccccc' }));
    for (let i = 1; i <= 10_000; i += 1) {
      streamer.handle(event({ type: 'log', line: `step ${i}: compiling module ${i} ${'x'.repeat(i % 80)}` }));
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 150)); // a build that prints for about 3 s
    }
    streamer.handle(event({ type: 'phase', phase: 'start', message: 'Starting container on port 1' }));
    for (let attempt = 1; attempt <= 30; attempt += 1) streamer.handle(event({ type: 'health', attempt, ok: false, detail: 'HTTP 503' }));
    await streamer.finish(deployment('failed'));
    const elapsed = Date.now() - started;

    const posts = slack.of('chat.postMessage');
    const logReply = posts.find((c) => c.args.text === 'Build log')!;
    const logUpdates = slack.of('chat.update').filter((c) => c.args.ts === logReply.result!.ts);
    expect(logUpdates.length).toBeGreaterThan(0);
    expect(logUpdates.length).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL) + 1);
    for (let i = 1; i < logUpdates.length - 1; i += 1) expect(logUpdates[i]!.at - logUpdates[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL - 50);
    expect(JSON.stringify(logUpdates.at(-1)!.args.blocks)).toContain('step 10000');
    const healthReplies = posts.filter((c) => /Health check attempt/.test(c.args.text));
    expect(healthReplies).toHaveLength(1);
    expect(minGapMs(slack, CHANNEL)).toBeGreaterThanOrEqual(1000);
    const upload = slack.of('upload')[0]!;
    // The upload is multipart; count the log lines in it.
    expect(upload.args.content.split('\n').filter((line: string) => /^step \d+: compiling/.test(line))).toHaveLength(10_000);
    expect(slack.of('files.completeUploadExternal')[0]!.args).toMatchObject({ channel_id: CHANNEL, thread_ts: posts[0]!.result!.ts });
    expect(posts.some((c) => c.args.reply_broadcast === 'true' && /Deploy #7 of busy failed/.test(c.args.text))).toBe(true);
    expect(slack.finalText(posts[0]!)).toMatch(/Deploy #7 of busy failed: the build failed \(The Docker build failed: step 3\);.*`build_failed`/);
    expect(slack.violations).toEqual([]);
  });

  it('a 429 with Retry-After is waited out and the final status still lands', async () => {
    slack.reset();
    const streamer = new ProgressStreamer(gateway, { channel: 'C8LIMITED', app: 'busy', title: 'Deploying `main` to busy', kind: 'deploy', intervalMs: INTERVAL });
    await streamer.open();
    slack.rateLimit(3);
    await streamer.finish(deployment('succeeded'));
    expect(slack.calls.filter((c) => c.method.endsWith(':429'))).toHaveLength(3);
    expect(slack.finalText(slack.of('chat.postMessage')[0]!)).toMatch(/Deployed busy #7 \(`ccccccc`\) in 4\.0 s/);
    expect(streamer.errors).toEqual([]);
  });
});
