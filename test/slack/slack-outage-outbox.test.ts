import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_CLIENT_OPTIONS, SlackRefusal, SlackTimedOut } from '../../src/adapters/slack/outbox.js';
import { SlackGateway } from '../../src/adapters/slack/slack-gateway.js';
import { SLACK_API, type SlackMock, createSlackMock, minGapMs } from '../helpers/slack-mock.js';

describe('the outbox: paced per channel, 429 waited out, 5xx retried, refusals named, deadlines kept', () => {
  let slack: SlackMock;
  const client = () => new WebClient('xoxb-test', { ...OUTBOX_CLIENT_OPTIONS, slackApiUrl: SLACK_API, logLevel: 'error' as never });
  beforeAll(() => {
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
  });
  afterAll(() => slack.server.close());

  it('new messages and updates in one channel keep their gaps; another channel does not wait for it', async () => {
    slack.reset();
    const gateway = new SlackGateway(client(), { gapMs: 400, updateGapMs: 300 });
    await Promise.all([
      ...[1, 2, 3, 4].map((i) => gateway.post('C1PACED', { text: `m${i}` })),
      ...[1, 2, 3].map((i) => gateway.update('C1PACED', '1.1', { text: `u${i}` })),
      gateway.post('C2OTHER', { text: 'other' }),
    ]);
    expect(minGapMs(slack, 'C1PACED')).toBeGreaterThanOrEqual(390);
    const updates = slack.of('chat.update').map((c) => c.at);
    for (let i = 1; i < updates.length; i += 1) expect(updates[i]! - updates[i - 1]!).toBeGreaterThanOrEqual(290);
    expect(slack.of('chat.postMessage').map((c) => c.args.text)).toEqual(expect.arrayContaining(['m1', 'm2', 'm3', 'm4', 'other']));
    // In order within the channel.
    expect(slack.of('chat.postMessage').filter((c) => c.args.channel === 'C1PACED').map((c) => c.args.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('a 429 is waited out for its Retry-After and a 500 retried with backoff, then the message lands', async () => {
    slack.reset();
    const gateway = new SlackGateway(client(), { gapMs: 0, backoffMs: [100] });
    slack.rateLimitFor('chat.postMessage', 1500);
    const started = Date.now();
    expect(await gateway.post('C3LIMIT', { text: 'after the limit' })).toMatch(/^\d+\.\d+$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(slack.of('chat.postMessage:429').length).toBeGreaterThan(0);
    slack.failNext('chat.update', 3, 503);
    await gateway.update('C3LIMIT', '1.1', { text: 'after three 503s' });
    expect(slack.of('chat.update:503')).toHaveLength(3);
    expect(slack.of('chat.update')).toHaveLength(1);
  });

  it('a refusal is not retried and says which error and channel; a message past its deadline gives up', async () => {
    slack.reset();
    const gateway = new SlackGateway(client(), { gapMs: 0, deadlineMs: 800, backoffMs: [300] });
    slack.refuseChannel('C4GONE', 'channel_not_found');
    const refused = await gateway.post('C4GONE', { text: 'x' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SlackRefusal);
    expect(refused).toMatchObject({ slackError: 'channel_not_found', channel: 'C4GONE' });
    expect(slack.of('chat.postMessage:channel_not_found')).toHaveLength(1);
    slack.failNext('chat.postMessage', 100, 500);
    const timedOut = await gateway.post('C5DOWN', { text: 'y' }).catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(SlackTimedOut);
    expect(slack.of('chat.postMessage:500').length).toBeGreaterThanOrEqual(2);
    expect(slack.of('chat.postMessage:500').length).toBeLessThan(10);
  });

  it('close() (shutdown): a message waiting out a long 429 gives up at once, and later ones get one attempt', async () => {
    slack.reset();
    const gateway = new SlackGateway(client(), { gapMs: 0 });
    slack.rateLimitFor('chat.update', 60_000);
    const waiting = gateway.update('C6SHUT', '1.1', { text: 'never' }).catch((error: unknown) => error);
    await expect.poll(() => slack.of('chat.update:429').length).toBe(1);
    gateway.outbox.close();
    expect(await waiting).toBeInstanceOf(SlackTimedOut);
    expect(await gateway.update('C6SHUT', '1.1', { text: 'once' }).catch((error: unknown) => error)).toBeInstanceOf(SlackTimedOut);
    expect(slack.of('chat.update:429')).toHaveLength(2);
    expect(await gateway.post('C6SHUT', { text: 'still delivered when Slack takes it' })).toMatch(/^\d+\.\d+$/);
  });
});
