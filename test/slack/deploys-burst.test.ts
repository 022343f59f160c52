import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { postToBolt, slashCommand } from '../helpers/slack-requests.js';
import { startBot } from '../helpers/slack-bot.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

/**
 * A burst of identical `/deploys` (everyone checks the same app in an incident) is read from the database once:
 * reads in flight are shared (src/adapters/slack/shared-read.ts), nothing is kept after they answer.
 */
describe('a burst of /deploys for one app shares its read', () => {
  let slack: SlackMock;
  let services: TestServices;
  let bot: Awaited<ReturnType<typeof startBot>>;
  const reads: string[] = [];
  /** While set, a list read waits for it: the burst's first read is held until every command has asked. */
  let gate: Promise<void> | undefined;

  beforeAll(async () => {
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    services = await createTestServices({ apps: [gitApp('web', 'file:///nonexistent', 18_520), gitApp('api', 'file:///nonexistent', 18_521)] });
    for (const [app, subject] of [['web', 'web first'], ['api', 'api first']] as const) {
      const d = await services.store.create({ app, status: 'building', source: 'git', trigger: 'cli', actor: 'U1ALICE', commitSha: 'a'.repeat(40), commitSubject: subject });
      await services.store.update(d.id, { status: 'succeeded', imageId: `sha256:${'b'.repeat(64)}`, finishedAt: new Date() });
    }
    // The real store, its list read counted (what reaches the database).
    const list = services.store.list.bind(services.store);
    services.store.list = async (app, limit) => {
      reads.push(`${app}:${limit}`);
      await gate;
      return list(app, limit);
    };
    bot = await startBot(services);
  });

  afterAll(async () => {
    await bot?.stop();
    await services?.dispose();
    slack?.server.close();
  });

  const listed = () => slack.responses.map((r) => JSON.stringify(r.body.blocks));

  it('20 at once for one app: every one answered with the list, from one read instead of 20', async () => {
    slack.reset();
    reads.length = 0;
    // The first read is held until all 20 were acked (each command asks for its list right after its ack), so that the
    // burst is a burst however slowly a busy machine lets the commands through: then one read answers them all.
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => postToBolt(bot.url, slashCommand('/deploys', 'web', `U1USER${i}`)))).finally(() =>
      setTimeout(() => {
        open();
        gate = undefined;
      }, 50),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(20).fill(200));
    await bot.idle();
    await expect.poll(() => slack.responses.length).toBe(20);
    expect(new Set(listed()).size).toBe(1);
    expect(listed()[0]).toContain('web first');
    expect(reads).toEqual(['web:10']);
  });

  it('another app or another limit is read on its own, and a /deploys after a change sees the change', async () => {
    slack.reset();
    reads.length = 0;
    await Promise.all([postToBolt(bot.url, slashCommand('/deploys', 'web')), postToBolt(bot.url, slashCommand('/deploys', 'api')), postToBolt(bot.url, slashCommand('/deploys', 'web 3'))]);
    await bot.idle();
    await expect.poll(() => slack.responses.length).toBe(3);
    expect(reads.sort()).toEqual(['api:10', 'web:10', 'web:3']);
    expect(listed().filter((l) => l.includes('api first'))).toHaveLength(1);

    const d = await services.store.create({ app: 'web', status: 'building', source: 'git', trigger: 'cli', actor: 'U1ALICE', commitSha: 'c'.repeat(40), commitSubject: 'web second' });
    await services.store.update(d.id, { status: 'failed', error: 'boom', finishedAt: new Date() });
    slack.reset();
    await postToBolt(bot.url, slashCommand('/deploys', 'web'));
    await bot.idle();
    await expect.poll(() => slack.responses.length).toBe(1);
    expect(listed()[0]).toContain('web second');
  });
});
