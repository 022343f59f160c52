import { describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());
const CHANNEL = 'C1SILENT';

describe.skipIf(!enabled)('never silent: every command and click gets a visible answer; refusals get no thread', () => {
  const app = `f-outbox-silent-${process.pid}`;
  const h = useSlackHarness({
    app,
    versions: [{ body: 'v1' }, { body: 'v2' }],
    spec: (base) => ({ ...base, approval: { when: 'channels', channels: ['C6INCIDENT'], approvers: ['U3BOB'], expiryMs: 30 * 60_000 } }),
  });
  const send = async (body: string) => expect((await postToBolt(h.bot.url, body)).status).toBe(200);
  const texts = () => h.slack.responses.map((r) => String(r.body.text));

  it('a locked app and an out-of-date ref: an ephemeral answer naming the way out, and no message in the channel', async () => {
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[0]}`, 'U1ALICE', CHANNEL));
    await h.bot.idle();
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[1]}`, 'U1ALICE', CHANNEL));
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('v2');

    h.slack.reset();
    await h.services.controls.lock(app, 'freeze for the audit', 'U2BOB');
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[1]}`, 'U1ALICE', CHANNEL));
    await h.bot.idle();
    await h.services.controls.unlock(app, 'U2BOB');
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[0]}`, 'U1ALICE', CHANNEL));
    await h.bot.idle();

    expect(h.slack.of('chat.postMessage')).toEqual([]);
    expect(h.slack.of('chat.update')).toEqual([]);
    expect(texts()).toHaveLength(2);
    expect(texts()[0]).toMatch(/locked by U2BOB.*freeze for the audit.*Unlock it.*`app_locked`/);
    expect(texts()[1]).toMatch(/older than what runs now.*use rollback to go back.*`out_of_date`/);
    expect(h.slack.responses.every((r) => r.body.response_type === 'ephemeral')).toBe(true);
  }, 90_000);

  it('Confirm in an archived channel: the click is answered, the reason and fix reach the person, and so does the rollback\'s result', async () => {
    const [, d1] = await h.services.store.list(app, 2);
    h.slack.reset();
    h.slack.refuseChannel('C8ARCHIVED', 'is_archived');
    await send(slashCommand('/rollback', `${app} ${d1!.id}`, 'U1ALICE', 'C8ARCHIVED'));
    await h.bot.idle();
    const confirm = buttonsOf(h.slack.responses.at(-1)!.body).find((b) => b.action_id === 'rollback_confirm')!;
    await send(buttonClick(confirm, 'U1ALICE', 'C8ARCHIVED'));
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('v1');
    expect(h.slack.of('chat.postMessage')).toEqual([]);
    const all = texts().join('\n');
    expect(all).toContain('confirmed the rollback');
    expect(all).toMatch(/<#C8ARCHIVED> is archived.*Unarchive it or run the command in another channel.*`is_archived`/);
    expect(texts().at(-1)).toMatch(new RegExp(`${app} rolled back to #${d1!.id} in .* \\(as #\\d+, reuse_image\\)`));
    expect(h.slack.violations).toEqual([]);
  }, 90_000);

  it('a channel Slack cannot find: /deploy still starts, and the person hears why, what to do and the result', async () => {
    h.slack.reset();
    await h.services.controls.unlock(app, 'U2BOB');
    h.slack.refuseChannel('G7PRIVATE', 'channel_not_found');
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[1]}`, 'U1ALICE', 'G7PRIVATE'));
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('v2');
    expect(texts()[0]).toMatch(/I can't see <#G7PRIVATE>.*`\/invite @deckhand`.*`channel_not_found`/);
    expect(texts().at(-1)).toMatch(new RegExp(`Deployed ${app} #\\d+`));
  }, 90_000);

  it('an approval card Slack will not post: the person is told why, how to fix it, and that nothing will run', async () => {
    h.slack.reset();
    h.slack.refuseChannel('C6INCIDENT', 'not_in_channel');
    const before = await h.services.store.list(app, 50);
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[1]}`, 'U1ALICE', 'C6INCIDENT'));
    await h.bot.idle();
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toMatch(/I can't post in <#C6INCIDENT>.*`\/invite @deckhand`.*Approvers cannot see request #\d+ for deploy #\d+.*Run `\/deploy` again once I can post\./);
    const after = await h.services.store.list(app, 50);
    expect(after.length).toBe(before.length + 1);
    expect(after[0]!.status).toBe('queued');
  }, 60_000);
});
