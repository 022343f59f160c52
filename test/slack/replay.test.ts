import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrizzleSlackRequestLog } from '../../src/adapters/db/slack-requests-repo.js';
import { createSlackBot } from '../../src/adapters/slack/app.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { startBot } from '../helpers/slack-bot.js';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { buttonClick, postToBolt, sign, slashCommand } from '../helpers/slack-requests.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const withPostgres = await havePostgres();
const withDocker = withPostgres && (await haveDocker());
const nowS = () => Math.floor(Date.now() / 1000);

describe.skipIf(!withPostgres)('a signed Slack request acts once, on every replica', () => {
  const app = `f-slack-replay-${process.pid}`;
  let slack: SlackMock;
  let services: TestServices;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let replica: Awaited<ReturnType<typeof startBot>>;

  beforeAll(async () => {
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    services = await createTestServices({ apps: [gitApp(app, 'file:///nonexistent', 18_599)] });
    expect(services.database.kind).toBe('postgres');
    bot = await startBot(services);
    // A second bot process over the same database, as a second replica would be.
    replica = await startBot(services);
  });

  afterAll(async () => {
    await bot?.stop();
    await replica?.stop();
    await services?.dispose();
    slack?.server.close();
  });

  const locks = async () => (await services.audit.list({})).filter((e) => e.action === 'app.lock' && e.app === app);
  const settle = async () => {
    await bot.idle();
    await replica.idle();
  };

  it('a replayed /deckhand lock (same timestamp and body) is acked with nothing done, even when the copies race', async () => {
    slack.reset();
    const body = slashCommand('/deckhand', `lock ${app} first`);
    const headers = sign(body);
    const answers = await Promise.all([1, 2, 3, 4].map(() => postToBolt(bot.url, body, headers)));
    await settle();
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(await locks()).toHaveLength(1);
    await expect.poll(() => slack.responses.length).toBe(1);
    expect(slack.responses[0]!.body.text).toContain('locked');
    // Later, within the window: still nothing.
    expect((await postToBolt(bot.url, body, headers)).status).toBe(200);
    await settle();
    expect(await locks()).toHaveLength(1);
    expect(slack.responses).toHaveLength(1);
    await services.controls.unlock(app, 'test');
  });

  it('the ack does not wait for the ledger; what the command does waits for it, and a replay sent meanwhile does nothing', async () => {
    slack.reset();
    const before = (await locks()).length;
    const body = slashCommand('/deckhand', `lock ${app} held-ledger`);
    const headers = sign(body);
    // The ledger's table is locked by another transaction: every write to it waits until that one ends.
    await services.database.db.transaction(async (tx) => {
      await tx.execute('lock table slack_requests in access exclusive mode');
      const answers = await Promise.all([postToBolt(bot.url, body, headers), postToBolt(bot.url, body, headers)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await services.locks.get(app)).toBeUndefined();
      expect(await locks()).toHaveLength(before);
      expect(slack.responses).toEqual([]);
    });
    await settle();
    expect(await locks()).toHaveLength(before + 1);
    expect(slack.responses).toHaveLength(1);
    await services.controls.unlock(app, 'test');
  });

  it('the same request sent to another replica does nothing there: the database decides, not a process', async () => {
    slack.reset();
    const before = (await locks()).length;
    const body = slashCommand('/deckhand', `lock ${app} second`);
    const headers = sign(body);
    expect((await postToBolt(bot.url, body, headers)).status).toBe(200);
    await settle();
    expect((await postToBolt(replica.url, body, headers)).status).toBe(200);
    await settle();
    expect(await locks()).toHaveLength(before + 1);
    expect(slack.responses).toHaveLength(1);
    // A new request (new timestamp or body) is of course acted on.
    const again = slashCommand('/deckhand', `unlock ${app}`);
    expect((await postToBolt(replica.url, again)).status).toBe(200);
    await settle();
    expect(await services.locks.get(app)).toBeUndefined();
  });

  it('a replayed button click acts once', async () => {
    slack.reset();
    const body = buttonClick({ action_id: 'rollback_cancel', value: JSON.stringify({ app, target: 1, nonce: 'n' }) });
    const headers = sign(body);
    for (const url of [bot.url, bot.url, replica.url]) expect((await postToBolt(url, body, headers)).status).toBe(200);
    await settle();
    await expect.poll(() => slack.responses.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(slack.responses.map((r) => r.body.text)).toEqual(['Rollback cancelled; nothing changed.']);
  });

  it('a timestamp more than a minute ahead is refused with 401 and does nothing; 30 s ahead is accepted', async () => {
    slack.reset();
    const auditBefore = await services.audit.list({});
    const body = slashCommand('/deckhand', `lock ${app} from-the-future`);
    const refused = await postToBolt(bot.url, body, sign(body, nowS() + 120));
    expect(refused.status).toBe(401);
    await settle();
    expect(await services.locks.get(app)).toBeUndefined();
    expect(await services.audit.list({})).toEqual(auditBefore);
    expect(slack.calls).toEqual([]);
    expect(slack.responses).toEqual([]);
    const help = slashCommand('/deckhand', 'help');
    const accepted = await postToBolt(bot.url, help, sign(help, nowS() + 30));
    expect(accepted.status).toBe(200);
    expect(accepted.json.text).toContain('/deckhand lock');
  });

  it('Socket Mode still builds its own receiver (no signed HTTP there, so no guard is put in its way)', () => {
    const socket = createSlackBot(services, { botToken: 'xoxb-test', appToken: 'xapp-1-test', verifyToken: false, logLevel: 'error' as never });
    expect(socket.app).toBeDefined();
  });

  it('requests past the signature window are pruned from the database; recent ones are kept', async () => {
    const ledger = new DrizzleSlackRequestLog(services.database.db);
    const old = new Date(Date.now() - 30 * 60_000);
    expect(await ledger.record('old-digest', old, old)).toBe(true);
    expect(await ledger.record('old-digest', old, old)).toBe(false);
    expect(await ledger.record('recent-digest', new Date(), new Date())).toBe(true);
    // A fresh bot prunes with its first request.
    const third = await startBot(services);
    try {
      expect((await postToBolt(third.url, slashCommand('/deckhand', 'help'))).status).toBe(200);
      await expect.poll(() => ledger.record('old-digest', old, old)).toBe(true);
      expect(await ledger.record('recent-digest', new Date(), new Date())).toBe(false);
    } finally {
      await third.stop();
    }
  });

  it('when the request cannot be recorded nothing runs, and the person is told so without SQL', async () => {
    slack.reset();
    await services.database.db.execute('alter table slack_requests rename to slack_requests_away');
    try {
      // The ack does not wait for the ledger (it acts on nothing); the answer comes through the response URL.
      const answer = await postToBolt(bot.url, slashCommand('/deckhand', `lock ${app} while-broken`));
      await settle();
      expect(answer.status).toBe(200);
      expect(answer.text).not.toMatch(/slack_requests|insert|relation/i);
      expect(slack.responses.map((r) => r.body)).toEqual([{ response_type: 'ephemeral', text: expect.stringContaining('deckhand cannot reach its database, nothing was changed') }]);
      expect(JSON.stringify(slack.responses)).not.toMatch(/slack_requests|insert|relation/i);
      // A usage error is answered in the ack; the work it would not have done is not done either way.
      slack.reset();
      const usage = await postToBolt(bot.url, slashCommand('/deckhand', 'lock'));
      await settle();
      expect(usage.json?.text).toMatch(/^Usage/);
      expect(slack.responses.map((r) => r.body.text)).toEqual([expect.stringContaining('deckhand cannot reach its database, nothing was changed')]);
    } finally {
      await services.database.db.execute('alter table slack_requests_away rename to slack_requests');
    }
    expect(await services.locks.get(app)).toBeUndefined();
  });

  it('when the ledger\'s disk is full, the person is told that, not "try again in a moment"', async () => {
    // The ledger's table on a tablespace of its own, on a tmpfs of our own, emptied and then filled to the last byte:
    // the next request's insert must extend the table, and Postgres answers disk_full (53100).
    const dir = mkdtempSync(join(tmpdir(), 'f-ledger-full-'));
    if (!mountTmpfs(dir, '4m')) return;
    const space = `deckhand_full_${process.pid}`;
    const db = services.database.db;
    try {
      mkdirSync(join(dir, 'ts'));
      execFileSync('chown', ['postgres:postgres', join(dir, 'ts')]);
      await db.execute(`create tablespace ${space} location '${join(dir, 'ts')}'`);
      await db.execute('truncate slack_requests');
      await db.execute(`alter table slack_requests set tablespace ${space}`);
      fillDisk(join(dir, 'filler'));
      slack.reset();
      const answer = await postToBolt(bot.url, slashCommand('/deckhand', `lock ${app} on-a-full-disk`));
      await settle();
      expect(answer.status).toBe(200);
      expect(slack.responses.map((r) => r.body.text)).toEqual([expect.stringMatching(/^:warning: Nothing was changed: The disk is full: the database's disk is full \(could not extend file .*\)\. Free space on that disk .* \(`disk_full`\)$/)]);
      expect(JSON.stringify(slack.responses)).not.toMatch(/slack_requests|insert|try again in a moment/i);
      // What reads only still answers (Postgres reads on a full disk): acting twice on it changes nothing.
      for (const [name, text, says] of [['/deploys', app, `Recent deploys of ${app}`], ['/deckhand', `status ${app}`, `${app}: down`]] as const) {
        slack.reset();
        expect((await postToBolt(bot.url, slashCommand(name, text))).status).toBe(200);
        await settle();
        expect(slack.responses.map((r) => r.body.text), `${name} ${text}`).toEqual([expect.stringContaining(says)]);
      }
    } finally {
      rmSync(join(dir, 'filler'), { force: true });
      await db.execute('alter table slack_requests set tablespace pg_default').catch(() => undefined);
      await db.execute(`drop tablespace if exists ${space}`).catch(() => undefined);
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await services.locks.get(app)).toBeUndefined();
  });
});

describe.skipIf(!withDocker)('a replayed signed /deploy runs one deploy', () => {
  const app = `f-slack-redeploy-${process.pid}`;
  const h = useSlackHarness({ app, versions: [{ body: 'r1' }] });
  const rows = async () => (await h.services.store.list(app, 50)).length;

  it('three copies at once and one more after it finished: one deployment row', async () => {
    const body = slashCommand('/deploy', app);
    const headers = sign(body);
    const answers = await Promise.all([1, 2, 3].map(() => postToBolt(h.bot.url, body, headers)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await h.bot.idle();
    expect(await rows()).toBe(1);
    const [deployed] = await h.services.store.list(app, 1);
    expect(deployed!.status, `${deployed!.errorCode}: ${deployed!.error}`).toBe('succeeded');
    expect((await postToBolt(h.bot.url, body, headers)).status).toBe(200);
    await h.bot.idle();
    expect(await rows()).toBe(1);
    expect(h.slack.of('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
    expect(h.slack.violations).toEqual([]);
  });
});
