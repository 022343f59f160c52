import { describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import type { SlackCall } from '../helpers/slack-mock.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());
const CHANNEL = 'C1FSTORY';
const SECRET = 'sk-fstory-7788aabb';

describe.skipIf(!enabled)('a failed deploy says what broke and what still serves; one thread follows one deployment', () => {
  const app = `f-outbox-story-${process.pid}`;
  const h = useSlackHarness({
    app,
    versions: [{ body: 'v1' }, { body: 'v2' }, { body: 'v3', healthy: false }],
    spec: (base) => ({ ...base, run: { ...base.run, env: { ...base.run.env, API_TOKEN: SECRET } }, access: { deploy: ['U1ALICE', 'U2BOB'], rollback: ['U1ALICE'] } }),
  });
  const command = async (text: string, user = 'U1ALICE') => expect((await postToBolt(h.bot.url, slashCommand('/deploy', `${app} ${text}`, user, CHANNEL))).status).toBe(200);
  const click = async (button: { action_id: string; value: string }, user = 'U1ALICE') => expect((await postToBolt(h.bot.url, buttonClick(button, user, CHANNEL))).status).toBe(200);
  const parents = () => h.slack.of('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts);
  const lastUpdate = (parent: SlackCall) => h.slack.of('chat.update').filter((c) => c.args.ts === parent.result?.ts).at(-1)!;

  it('a health failure: the parent names what failed and the deploy still serving, the thread shows the container log (redacted), the upload holds both logs; a /deploy refused meanwhile gets no thread', async () => {
    await command(h.repo.commits[0]!);
    await h.bot.idle();
    await command(h.repo.commits[1]!);
    await h.bot.idle();
    const [d2, d1] = await h.services.store.list(app, 2);
    expect((await get(h.port)).body).toBe('v2');
    h.slack.reset();

    await command(h.repo.commits[2]!);
    await expect.poll(() => parents().length, { timeout: 20_000 }).toBe(1);
    // Another deploy while this one runs: refused, ephemerally, with no thread of its own.
    await command(h.repo.commits[1]!, 'U2BOB');
    await expect.poll(() => h.slack.responses.map((r) => r.body.text as string).join('\n'), { timeout: 20_000 }).toMatch(/already running.*`deploy_in_progress`/);
    await h.bot.idle();

    expect(parents()).toHaveLength(1);
    const parent = parents()[0]!;
    const thread = h.slack.thread(parent);
    // Every message in the channel is the one parent or in its thread.
    expect(h.slack.of('chat.postMessage').filter((c) => c.args.channel === CHANNEL)).toHaveLength(1 + thread.length);
    const final = lastUpdate(parent);
    expect(final.args.text).toMatch(new RegExp(`Deploy #\\d+ of ${app} failed: the new container never passed its health check \\(.*\\); the previous deploy #${d2!.id} \\(\`${h.repo.commits[1]!.slice(0, 7)}\`\\) is still serving\\. \`health_check_failed\``));
    const containerReply = thread.find((c) => /new container's log/.test(c.args.text))!;
    const shown = JSON.stringify(containerReply.args.blocks);
    expect(shown).toContain('starting v3 on port');
    expect(shown).toContain('using token ***');
    expect(shown).not.toContain('FROM scratch');
    const upload = h.slack.of('upload')[0]!.args.content as string;
    expect(upload).toMatch(/=== build log[\s\S]*FROM scratch[\s\S]*=== last \d+ lines of the new container's log ===[\s\S]*starting v3 on port/);
    expect(JSON.stringify(h.slack.calls.map((c) => c.args))).not.toContain(SECRET);

    const buttons = buttonsOf(final.args as never);
    expect(buttons.map((b) => b.text)).toEqual([`Roll back to #${d1!.id}`, 'Show full log', 'Retry']);
    expect(JSON.parse(buttons[0]!.value)).toEqual({ app, id: d1!.id });
    expect(buttons[0]!.action_id).toBe('rollback_open');
    expect(h.slack.violations).toEqual([]);
  }, 120_000);

  it('"Show full log" answers with the container log; "Retry" runs the same ref again through /deploy\'s path, with access checked', async () => {
    const parent = parents()[0]!;
    const buttons = buttonsOf(lastUpdate(parent).args as never);
    h.slack.reset();
    await click(buttons.find((b) => b.text === 'Show full log')!);
    await h.bot.idle();
    const log = h.slack.responses.at(-1)!.body;
    expect(log.response_type).toBe('ephemeral');
    expect(JSON.stringify(log.blocks)).toContain('starting v3 on port');
    expect(JSON.stringify(log.blocks)).not.toContain(SECRET);

    const retry = buttons.find((b) => b.text === 'Retry')!;
    await click(retry, 'U3EVE');
    await h.bot.idle();
    expect(h.slack.responses.at(-1)!.body.text).toMatch(/not allowed to deploy/);
    expect(parents()).toHaveLength(0);

    const before = await h.services.store.list(app, 50);
    await click(retry, 'U1ALICE');
    await h.bot.idle();
    const after = await h.services.store.list(app, 50);
    expect(after.length).toBe(before.length + 1);
    expect(after[0]).toMatchObject({ commitSha: h.repo.commits[2], status: 'failed', actor: 'U1ALICE' });
    expect(parents()).toHaveLength(1);
    expect(parents()[0]!.args.text).toContain(`Deploying \`${h.repo.commits[2]}\``);
    expect((await get(h.port)).body).toBe('v2');
    expect(h.slack.violations).toEqual([]);
  }, 120_000);

  it('the same failure in a channel deckhand is not in: the story, the container log and the buttons reach the person through response_url', async () => {
    h.slack.reset();
    h.slack.refuseChannel('C7NOTIN', 'not_in_channel');
    expect((await postToBolt(h.bot.url, slashCommand('/deploy', `${app} ${h.repo.commits[2]}`, 'U1ALICE', 'C7NOTIN'))).status).toBe(200);
    await h.bot.idle();
    const answers = h.slack.responses.map((r) => r.body);
    expect(answers[0].text).toContain("I can't post in <#C7NOTIN>");
    const result = answers.at(-1);
    expect(result.text).toMatch(/failed: the new container never passed its health check .*is still serving\./);
    expect(JSON.stringify(result.blocks)).toContain('starting v3 on port');
    expect(JSON.stringify(result.blocks)).not.toContain(SECRET);
    expect(buttonsOf(result).map((b) => b.text)).toEqual(expect.arrayContaining(['Show full log', 'Retry']));
    expect((await get(h.port)).body).toBe('v2');
    expect(h.slack.violations).toEqual([]);
  }, 60_000);
});
