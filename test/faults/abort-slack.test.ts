import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { startBot } from '../helpers/slack-bot.js';
import { type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** The Abort button and `/deckhand abort` through the real Bolt app, on a deploy running on a real Docker engine. */
describe.skipIf(!enabled)('abort from Slack', () => {
  const app = `f-abort-slack-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let services: TestServices;
  let slack: SlackMock;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2-unhealthy', healthy: false }]);
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    caddy = await startCaddy();
    port = await freePort();
    const spec = { ...gitApp(app, repo.url, port, { healthTimeoutMs: 120_000 }), access: { deploy: ['U1ALICE', 'U2BOB'], rollback: ['U1ALICE'] } };
    services = await createTestServices({ apps: [spec], caddyAdminUrl: caddy.adminUrl });
    bot = await startBot(services);
    expect((await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U1ALICE', trigger: 'cli' })).status).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await bot?.stop();
    await services?.dispose();
    await caddy?.stop();
    slack?.server.close();
    repo?.cleanup();
  });

  const lastText = () => slack.responses.at(-1)?.body.text as string;

  it('the progress message carries Abort; a click by someone who may not roll back changes nothing; one who may ends it cancelled', async () => {
    const loop = requestLoop(port, { maxMs: 120_000 });
    try {
      await postToBolt(bot.url, slashCommand('/deploy', `${app} ${repo.commits[1]}`, 'U2BOB'));
      let abort: { action_id: string; value: string } | undefined;
      for (let i = 0; i < 240 && !abort; i++) {
        abort = slack.of('chat.update').flatMap((c) => buttonsOf(c.args)).find((b) => b.action_id === 'deploy_abort');
        if (!abort) await new Promise((r) => setTimeout(r, 250));
      }
      expect(abort, 'the running deploy shows an Abort button').toBeDefined();
      const { id } = JSON.parse(abort!.value) as { id: number };

      await postToBolt(bot.url, buttonClick(abort!, 'U2BOB'));
      for (let i = 0; i < 40 && !/not allowed/.test(lastText() ?? ''); i++) await new Promise((r) => setTimeout(r, 100));
      expect(lastText()).toBe(`:no_entry: You are not allowed to roll back \`${app}\`. Ask <@U1ALICE>, or have \`access.rollback\` for \`${app}\` changed in deckhand.yml.`);
      expect((await services.store.get(id))?.status).not.toBe('cancelled');

      await postToBolt(bot.url, buttonClick(abort!, 'U1ALICE'));
      await bot.idle();
      const seen = await loop.stop();
      expect(seen.failures).toEqual([]);
      expect(await services.store.get(id)).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', error: 'Cancelled by U1ALICE.' });
      expect(slack.responses.map((r) => r.body.text)).toContain(`:octagonal_sign: Stopping deploy #${id} of \`${app}\`. It ends cancelled; the previous version keeps serving.`);
      const posts = slack.of('chat.postMessage').map((c) => String(c.args.text));
      expect(posts).toContain(`:no_entry_sign: Deploy #${id} of ${app} was cancelled: it was cancelled (Cancelled by U1ALICE.); the previous deploy #1 (\`${repo.commits[0]!.slice(0, 7)}\`) is still serving. \`cancelled\``);
      // The final parent message has no Abort button any more.
      const last = slack.of('chat.update').filter((c) => String(c.args.text).includes('cancelled')).at(-1);
      expect(last && buttonsOf(last.args).some((b) => b.action_id === 'deploy_abort')).toBe(false);
      expect(await get(port)).toEqual({ status: 200, body: 'v1' });
    } finally {
      await loop.stop();
    }
  }, 150_000);

  it('/deckhand abort with nothing running says so and is audited as refused', async () => {
    await postToBolt(bot.url, slashCommand('/deckhand', `abort ${app}`, 'U1ALICE'));
    await bot.idle();
    expect(lastText()).toBe(`Nothing of \`${app}\` is running; there is nothing to abort.`);
    expect((await services.audit.list({ app, action: 'deploy.abort' })).map((a) => [a.actor, a.result])).toEqual([['U1ALICE', 'refused'], ['U1ALICE', 'ok']]);
  });
});
