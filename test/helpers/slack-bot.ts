import type { Services } from '../../src/compose.js';
import { type SlackBot, type SlackSettings, createSlackBot } from '../../src/adapters/slack/app.js';
import { freePort } from './ports.js';
import { SIGNING_SECRET } from './slack-requests.js';
import { SLACK_API } from './slack-mock.js';

/**
 * Slack's pacing in a channel (a new message every 1.1 s, an update every 1.2 s) is the outbox's, proven where it is
 * the subject (slack-outage-outbox, progress-streamer, and slack-e2e at production settings: SLACK_PACE). A bot here
 * paces at TEST_GAP_MS unless a suite gives its own `messageGapMs`: at Slack's pace, a suite's deploys spent most of
 * their time waiting for their thread.
 */
export const TEST_GAP_MS = 20;
/** For a suite that proves Slack's own pace end to end: the bot paces as in production (the outbox's defaults). */
export const SLACK_PACE: Partial<SlackSettings> = { messageGapMs: undefined };

/** The real Bolt app in HTTP mode on 127.0.0.1, its Web API pointed at the msw mock. */
export async function startBot(services: Services, settings: Partial<SlackSettings> = {}): Promise<SlackBot & { url: string; stop(): Promise<void> }> {
  const bot = createSlackBot(services, { botToken: 'xoxb-test', signingSecret: SIGNING_SECRET, apiUrl: SLACK_API, logLevel: 'error' as never, messageGapMs: TEST_GAP_MS, ...settings });
  const port = await freePort();
  // Listen options go first: { port, host } binds loopback only.
  await bot.app.start({ port, host: '127.0.0.1' } as never);
  return {
    ...bot,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await bot.idle();
      await bot.app.stop();
    },
  };
}
