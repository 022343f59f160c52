import { WebClient } from '@slack/web-api';
import { http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { OUTBOX_CLIENT_OPTIONS } from '../../src/adapters/slack/outbox.js';
import { ProgressStreamer } from '../../src/adapters/slack/progress-streamer.js';
import { SlackGateway } from '../../src/adapters/slack/slack-gateway.js';
import { useMockedGateway } from '../helpers/mock-gateway.js';
import { SLACK_API } from '../helpers/slack-mock.js';
import { APP, deployTitle, deployment, log, phase } from '../helpers/stream-events.js';

const mocked = useMockedGateway();

describe('the final update is the last one sent', () => {
  afterEach(() => mocked.slack.server.resetHandlers());

  it('even when an intermediate chat.update is slow: the final one waits for it instead of overtaking it', async () => {
    mocked.slack.reset();
    let slowStarted!: () => void;
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    let delayed = 0;
    // Slack holds the first intermediate update of the parent for 1.5 s before it lands (then the usual handler records it).
    mocked.slack.server.use(
      http.post(`${SLACK_API}chat.update`, async ({ request }) => {
        const body = new URLSearchParams(await request.clone().text());
        if (delayed === 0 && /Building/.test(body.get('text') ?? '')) {
          delayed += 1;
          slowStarted();
          await new Promise((r) => setTimeout(r, 1500));
        }
        return undefined;
      }),
    );
    const streamer = new ProgressStreamer(mocked.gateway, { channel: 'C2SLOW', app: APP, title: deployTitle, kind: 'deploy', intervalMs: 20 });
    await streamer.open();
    streamer.handle(phase('build', 'Building c-stream'));
    for (let i = 0; i < 50; i += 1) streamer.handle(log(`line ${i}`));
    await started; // the timer's update of the parent is in flight, and slow
    streamer.handle(phase('start', 'Starting'));
    for (let i = 50; i < 100; i += 1) streamer.handle(log(`line ${i}`));
    await streamer.finish(deployment('succeeded'));
    const parent = mocked.slack.of('chat.postMessage')[0]!;
    const updates = mocked.slack.of('chat.update');
    const ofParent = updates.filter((c) => c.args.ts === parent.result!.ts);
    expect(delayed).toBe(1);
    expect(ofParent.some((c) => /Building c-stream/.test(c.args.text))).toBe(true);
    expect(ofParent.at(-1)!.args.text).toMatch(/Deployed c-stream #7 \(`ccccccc`\) in 4\.0 s/);
    expect(updates.at(-1)).toBe(ofParent.at(-1));
    expect(mocked.slack.calls.at(-1)).toBe(ofParent.at(-1));
    for (const c of mocked.slack.calls.slice(0, -1)) expect(c.at).toBeLessThanOrEqual(ofParent.at(-1)!.at);
  });

  it('even when a slow intermediate update times out and lands at Slack after the final one: the final is sent again', async () => {
    mocked.slack.reset();
    // The production client (no retries of its own, a timeout per call), with a short timeout and no pacing.
    const gateway = new SlackGateway(new WebClient('xoxb-test', { ...OUTBOX_CLIENT_OPTIONS, timeout: 300, slackApiUrl: SLACK_API }), { gapMs: 0, updateGapMs: 0, backoffMs: [50] });
    let slowStarted!: () => void;
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    let delayed = 0;
    // Slack sits on the first intermediate update of the parent for 1.5 s (the client gives up at 0.3 s), then applies it.
    mocked.slack.server.use(
      http.post(`${SLACK_API}chat.update`, async ({ request }) => {
        const body = new URLSearchParams(await request.clone().text());
        if (delayed === 0 && /Building/.test(body.get('text') ?? '')) {
          delayed += 1;
          slowStarted();
          await new Promise((r) => setTimeout(r, 1500));
        }
        return undefined;
      }),
    );
    const streamer = new ProgressStreamer(gateway, { channel: 'C4LATE', app: APP, title: deployTitle, kind: 'deploy', intervalMs: 20, finalResendMs: 2500 });
    await streamer.open();
    streamer.handle(phase('build', 'Building c-stream'));
    await started;
    await streamer.finish(deployment('succeeded'));
    const parentTs = mocked.slack.of('chat.postMessage')[0]!.result!.ts;
    const ofParent = () => mocked.slack.of('chat.update').filter((c) => c.args.ts === parentTs).map((c) => c.args.text as string);
    const final = 'Deploying `main` to c-stream: Deployed c-stream #7 (`ccccccc`) in 4.0 s: finished after 4.0 s';
    for (let i = 0; i < 200 && ofParent().filter((t) => t === final).length < 2; i += 1) await new Promise((r) => setTimeout(r, 25));
    const texts = ofParent();
    // The late copy really landed after the first final update (else this test proves nothing) ...
    expect(texts.indexOf(final)).toBeLessThan(texts.lastIndexOf('Deploying `main` to c-stream: Building c-stream'));
    // ... and the final one was sent again after it: it is the last word.
    expect(texts.at(-1)).toBe(final);
    expect(streamer.errors).toEqual([]);
  });
});
