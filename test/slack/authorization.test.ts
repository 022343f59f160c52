import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authorizer } from '../../src/domain/access/authorizer.js';
import { systemClock } from '../../src/domain/clock.js';
import { startBot } from '../helpers/slack-bot.js';
import { type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { buttonClick, postToBolt, slashCommand } from '../helpers/slack-requests.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

describe('who may deploy and roll back', () => {
  let slack: SlackMock;
  let services: TestServices;
  let bot: Awaited<ReturnType<typeof startBot>>;

  beforeAll(async () => {
    slack = createSlackMock({ groups: { S2DEPLOYERS: ['U5DAVE'] } });
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    const spec = { ...gitApp('guarded', 'file:///nonexistent', 18600), access: { deploy: ['U1ALICE', 'S2DEPLOYERS'], rollback: ['U1ALICE'] } };
    services = await createTestServices({ apps: [spec] });
    bot = await startBot(services);
  });

  afterAll(async () => {
    await bot?.stop();
    await services?.dispose();
    slack?.server.close();
  });

  const lastText = () => slack.responses.at(-1)?.body.text as string;

  it('denies a command from someone not listed, ephemerally, and audits it', async () => {
    await postToBolt(bot.url, slashCommand('/deploy', 'guarded main', 'U9MALLORY'));
    await bot.idle();
    expect(slack.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral', text: ':no_entry: You are not allowed to deploy `guarded`. Ask <@U1ALICE>, <!subteam^S2DEPLOYERS>, or have `access.deploy` for `guarded` changed in deckhand.yml.' });
    await postToBolt(bot.url, slashCommand('/rollback', 'guarded 1', 'U5DAVE'));
    await bot.idle();
    expect(lastText()).toBe(':no_entry: You are not allowed to roll back `guarded`. Ask <@U1ALICE>, or have `access.rollback` for `guarded` changed in deckhand.yml.');
    await postToBolt(bot.url, slashCommand('/deckhand', 'lock guarded freeze', 'U9MALLORY'));
    await bot.idle();
    expect(await services.locks.get('guarded')).toBeUndefined();
    const denied = await services.audit.list({ app: 'guarded', action: 'access.denied' });
    expect(denied.map((d) => [d.actor, d.details?.capability])).toEqual([['U9MALLORY', 'deploy'], ['U5DAVE', 'rollback'], ['U9MALLORY', 'deploy']]);
    expect(await services.store.list('guarded', 10)).toEqual([]);
  });

  it('checks again on every button click: a forwarded Confirm does not let a non-roller roll back', async () => {
    const value = JSON.stringify({ app: 'guarded', target: 1, nonce: 'n-1' });
    await postToBolt(bot.url, buttonClick({ action_id: 'rollback_confirm', value }, 'U5DAVE'));
    await bot.idle();
    expect(lastText()).toBe(':no_entry: You are not allowed to roll back `guarded`. Ask <@U1ALICE>, or have `access.rollback` for `guarded` changed in deckhand.yml.');
    await postToBolt(bot.url, buttonClick({ action_id: 'rollback_open', value: JSON.stringify({ app: 'guarded', id: 1 }) }, 'U9MALLORY'));
    await bot.idle();
    expect(lastText()).toBe(':no_entry: You are not allowed to roll back `guarded`. Ask <@U1ALICE>, or have `access.rollback` for `guarded` changed in deckhand.yml.');
  });

  it('group members may act; membership is cached for a few minutes', async () => {
    const calls = () => slack.of('usergroups.users.list').length;
    const authorizer = new Authorizer({ members: async (g) => (await bot.app.client.usergroups.users.list({ usergroup: g })).users ?? [] }, systemClock, 300_000);
    const before = calls();
    expect(await authorizer.allowed('U5DAVE', ['S2DEPLOYERS'])).toBe(true);
    expect(await authorizer.allowed('U5DAVE', ['S2DEPLOYERS'])).toBe(true);
    expect(await authorizer.allowed('U9MALLORY', ['S2DEPLOYERS'])).toBe(false);
    expect(calls() - before).toBe(1);
    expect(await authorizer.allowed('anyone', undefined)).toBe(true);
  });
});
