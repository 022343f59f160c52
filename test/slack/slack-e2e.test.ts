import { describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { SLACK_PACE } from '../helpers/slack-bot.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { minGapMs } from '../helpers/slack-mock.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = await haveDocker();
const CHANNEL = 'C1DEPLOYS';

describe.skipIf(!enabled)('Slack end to end: deploy, list, roll back with a confirmation, through a thread', () => {
  const app = `it-slack-${process.pid}`;
  const h = useSlackHarness({
    app,
    versions: [
      { body: 'v1', files: { 'migrations/0001_init.sql': 'create table t (id int);' } },
      { body: 'v2', files: { 'migrations/0002_add_column.sql': 'alter table t add column c int;' } },
    ],
    // This suite proves the gaps between new messages in a channel end to end, at Slack's own pace.
    bot: SLACK_PACE,
  });

  const command = async (name: string, text: string, user = 'U1ALICE') => {
    const ack = await postToBolt(h.bot.url, slashCommand(name, text, user, CHANNEL));
    expect(ack.status).toBe(200);
    await h.bot.idle();
    return ack;
  };
  const click = async (button: { action_id: string; value: string }, user = 'U1ALICE') => {
    const ack = await postToBolt(h.bot.url, buttonClick(button, user, CHANNEL));
    expect(ack.status).toBe(200);
    return ack;
  };
  const lastResponse = () => h.slack.responses.at(-1)!.body;

  it('/deploy v1 and v2 stream into threads and end with the result on the parent', async () => {
    await command('/deploy', `${app} ${h.repo.commits[0]}`);
    expect((await get(h.port)).body).toBe('v1');
    const parent = h.slack.of('chat.postMessage')[0]!;
    expect(parent.args).toMatchObject({ channel: CHANNEL, text: expect.stringContaining(`Deploying \`${h.repo.commits[0]}\` to ${app}`) });
    const thread = h.slack.thread(parent).map((c) => c.args.text as string).join('\n');
    expect(thread).toMatch(/Building[\s\S]*Starting container[\s\S]*Traffic on port[\s\S]*Deployed/);
    expect(h.slack.of('chat.postMessage').filter((c) => c.args.text?.startsWith(':scroll:') || c.args.text === 'Build log')).toHaveLength(1);
    expect(h.slack.finalText(parent)).toMatch(new RegExp(`Deployed ${app} #\\d+ \\(\`${h.repo.commits[0]!.slice(0, 7)}\`\\) in `));

    await command('/deploy', `${app} ${h.repo.commits[1]}`);
    expect((await get(h.port)).body).toBe('v2');
    const updates = h.slack.of('chat.update').map((c) => c.args.text as string);
    expect(updates.some((t) => new RegExp(`Deployed ${app} #\\d+ \\(\`${h.repo.commits[1]!.slice(0, 7)}\`\\) in `).test(t))).toBe(true);
    expect(minGapMs(h.slack, CHANNEL)).toBeGreaterThanOrEqual(1000);
    expect(h.slack.violations).toEqual([]);
  });

  it('/deploys lists the deploys with a "Roll back" button that leads to the same confirmation as /rollback', async () => {
    const [d2, d1] = await h.services.store.list(app, 2);
    await command('/deploys', app);
    const list = lastResponse();
    const buttons = buttonsOf(list);
    expect(buttons.map((b) => b.text)).toEqual([`Roll back to #${d1!.id}`]);
    expect(JSON.stringify(list.blocks)).toContain(`#${d2!.id}`);
    await click(buttons[0]!);
    await h.bot.idle();
    await expect.poll(() => lastResponse().text).toBe(`Roll back ${app} to #${d1!.id}? Warning: migrations have been applied since this deploy.`);
  });

  it('/rollback names the migration added in v2; Confirm rolls back through a thread ending "rolled back to #id in N s"', async () => {
    const [, d1] = await h.services.store.list(app, 2);
    h.slack.reset();
    await command('/rollback', `${app} ${d1!.id}`);
    const confirmation = lastResponse();
    expect(JSON.stringify(confirmation.blocks)).toContain('migrations/0002_add_column.sql');
    expect(JSON.stringify(confirmation.blocks)).toContain('Migrations have been applied since this deploy. Schema mismatch possible.');
    expect(JSON.stringify(confirmation.blocks)).toContain('Not restored:* environment variables, secrets, database schema, volumes');
    const confirm = buttonsOf(confirmation).find((b) => b.action_id === 'rollback_confirm')!;
    await click(confirm);
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('v1');
    const parent = h.slack.of('chat.postMessage')[0]!;
    expect(parent.args.text).toContain(`Rolling ${app} back to #${d1!.id}`);
    const thread = h.slack.thread(parent).map((c) => c.args.text as string);
    expect(thread.join('\n')).toMatch(/Reusing image[\s\S]*Starting container[\s\S]*Traffic on port[\s\S]*rolled back to/);
    expect(h.slack.finalText(parent)).toMatch(new RegExp(`${app} rolled back to #${d1!.id} in [\\d.]+ (ms|s) \\(as #\\d+, reuse_image\\)`));
    expect(h.slack.responses.some((r) => /confirmed the rollback/.test(r.body.text))).toBe(true);
    expect(minGapMs(h.slack, CHANNEL)).toBeGreaterThanOrEqual(1000);
    expect(h.slack.violations).toEqual([]);
  });

  it('a double Confirm (or two people confirming) starts one rollback', async () => {
    const d2 = (await h.services.store.list(app, 10)).find((d) => d.commitSha === h.repo.commits[1] && d.trigger === 'slack');
    await command('/rollback', `${app} ${d2!.id}`);
    const confirm = buttonsOf(lastResponse()).find((b) => b.action_id === 'rollback_confirm')!;
    const before = (await h.services.store.list(app, 50)).length;
    await Promise.all([click(confirm, 'U1ALICE'), click(confirm, 'U1ALICE'), click(confirm, 'U2BOB')]);
    await h.bot.idle();
    await expect.poll(() => h.slack.responses.filter((r) => /Already confirmed by/.test(r.body.text ?? '')).length).toBe(2);
    const rows = await h.services.store.list(app, 50);
    expect(rows.length).toBe(before + 1);
    expect(rows[0]).toMatchObject({ rollbackOf: d2!.id, status: 'succeeded' });
    expect((await get(h.port)).body).toBe('v2');
  });
});
