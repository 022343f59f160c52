import type { Services } from '../../src/compose.js';
import { type SlackBot, type SlackSettings, createSlackBot } from '../../src/adapters/slack/app.js';
import { freePort } from './ports.js';
import { SIGNING_SECRET } from './slack-requests.js';
import { SLACK_API } from './slack-mock.js';

/** The real Bolt app in HTTP mode on 127.0.0.1, its Web API pointed at the msw mock. */
export async function startBot(services: Services, settings: Partial<SlackSettings> = {}): Promise<SlackBot & { url: string; stop(): Promise<void> }> {
  const bot = createSlackBot(services, { botToken: 'xoxb-test', signingSecret: SIGNING_SECRET, apiUrl: SLACK_API, logLevel: 'error' as never, ...settings });
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
