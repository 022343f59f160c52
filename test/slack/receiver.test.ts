import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { postToBolt, sign, slashCommand } from '../helpers/slack-requests.js';
import { startBot } from '../helpers/slack-bot.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

describe('signed requests through Bolt\'s HTTP receiver', () => {
  let slack: SlackMock;
  let services: TestServices;
  let bot: Awaited<ReturnType<typeof startBot>>;

  beforeAll(async () => {
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    services = await createTestServices({ apps: [gitApp('web', 'file:///nonexistent', 18500)] });
    const d = await services.store.create({ app: 'web', status: 'building', source: 'git', trigger: 'cli', actor: 'U1ALICE', commitSha: 'a'.repeat(40), commitSubject: 'first' });
    await services.store.update(d.id, { status: 'succeeded', imageId: `sha256:${'b'.repeat(64)}`, finishedAt: new Date() });
    bot = await startBot(services);
  });

  afterAll(async () => {
    await bot?.stop();
    await services?.dispose();
    slack?.server.close();
  });

  it('answers /healthz', async () => {
    const response = await fetch(`${bot.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('a valid /deploys is acked at once and answered with the list through the response URL', async () => {
    const ack = await postToBolt(bot.url, slashCommand('/deploys', 'web'));
    expect(ack.status).toBe(200);
    await bot.idle();
    await expect.poll(() => slack.responses.length).toBe(1);
    expect(slack.responses[0]!.body).toMatchObject({ response_type: 'ephemeral', text: 'Recent deploys of web' });
    expect(JSON.stringify(slack.responses[0]!.body.blocks)).toContain('first');
    expect(slack.violations).toEqual([]);
  });

  it('wrong arguments and unknown apps get an ephemeral answer in the ack itself', async () => {
    expect((await postToBolt(bot.url, slashCommand('/deploys', ''))).json).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('Usage: `/deploys <app> [limit]`') });
    expect((await postToBolt(bot.url, slashCommand('/deploy', 'nope'))).json).toEqual({ response_type: 'ephemeral', text: 'Unknown app `nope`. Known apps: `web`.' });
    expect((await postToBolt(bot.url, slashCommand('/deploy', 'web --upload-pack=x'))).json.text).toContain('invalid_ref');
    expect((await postToBolt(bot.url, slashCommand('/deckhand', 'help'))).json.text).toContain('/rollback <app> [deploy-id]');
  });

  it.each([
    ['a bad signature', (body: string) => ({ ...sign(body), 'x-slack-signature': `v0=${'0'.repeat(64)}` })],
    ['a timestamp older than five minutes', (body: string) => sign(body, Math.floor(Date.now() / 1000) - 6 * 60)],
    ['a missing signature header', (body: string) => ({ 'x-slack-request-timestamp': sign(body)['x-slack-request-timestamp'] })],
    ['missing headers', () => ({})],
  ])('%s gets 401 and does nothing', async (_label, headers) => {
    slack.reset();
    const auditBefore = await services.audit.list({});
    const body = slashCommand('/deckhand', 'lock web hacked');
    const response = await postToBolt(bot.url, body, headers(body));
    expect(response.status).toBe(401);
    await bot.idle();
    expect(slack.calls).toEqual([]);
    expect(slack.responses).toEqual([]);
    expect(await services.locks.get('web')).toBeUndefined();
    expect(await services.audit.list({})).toEqual(auditBefore);
  });
});
