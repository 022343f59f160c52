import { describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/domain/clock.js';
import { createCardSweeper } from '../../src/jobs/card-sweeper.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = await haveDocker();
const CHANNEL = 'C1DEPLOYS';
const INCIDENTS = 'C9INCIDENT';

/** Real time plus an offset the test moves forward: expiry without waiting 15 minutes. */
function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), advance: (ms) => void (offset += ms) };
}

describe.skipIf(!enabled)('rollback cards are live: re-planned on Confirm, consumed by Cancel, expired by the sweeper', () => {
  const app = `f-cards-${process.pid}`;
  const clock = offsetClock();
  const h = useSlackHarness({
    app,
    clock,
    versions: [{ body: 'v1' }, { body: 'v2' }, { body: 'v3', files: { 'migrations/0003_add.sql': 'alter table t add c int;' } }],
    spec: (base) => ({ ...base, approval: { when: 'channels', channels: [INCIDENTS], approvers: ['U3BOB'], expiryMs: 30 * 60_000 } }),
  });
  const send = async (body: string) => {
    expect((await postToBolt(h.bot.url, body)).status).toBe(200);
    await h.bot.idle();
  };
  /** `/rollback` in the deploys channel: returns the card (an ephemeral response) and its buttons. */
  const showCard = async (text: string) => {
    const before = h.slack.responses.length;
    await send(slashCommand('/rollback', text, 'U1ALICE', CHANNEL));
    const card = h.slack.responses.slice(before).find((r) => buttonsOf(r.body).length > 0)!;
    expect(card).toBeDefined();
    return card;
  };
  const button = (message: { blocks?: Array<Record<string, any>> }, id: string) => buttonsOf(message).find((b) => b.action_id === id)!;
  const deploy = (sha: string) => h.services.deploys.deploy({ app, ref: sha, actor: 'U1ALICE', trigger: 'slack' });
  const rows = async () => h.services.store.list(app, 50);

  it('a deploy between showing and confirming: the card is replaced by the new plan, nothing is rolled back', async () => {
    const d1 = await deploy(h.repo.commits[0]!);
    await deploy(h.repo.commits[1]!);
    const card = await showCard(`${app} ${d1.id} -- v2 breaks checkout`);
    expect(JSON.stringify(card.body.blocks)).toContain('v2 breaks checkout');
    const d3 = await deploy(h.repo.commits[2]!);
    expect((await get(h.port)).body).toBe('v3');
    const before = (await rows()).length;

    h.slack.reset();
    await send(buttonClick(button(card.body, 'rollback_confirm'), 'U1ALICE', CHANNEL));
    const replaced = h.slack.responses.at(-1)!.body;
    expect(replaced.replace_original).toBe(true);
    expect(replaced.text).toMatch(/^The plan changed; read it again\. Roll back/);
    const shown = JSON.stringify(replaced.blocks);
    expect(shown).toContain('nothing was rolled back');
    expect(shown).toContain(`#${d3.id} serves now`);
    expect(shown).toContain('migrations/0003_add.sql');
    // Nothing ran: no new deployment, the app still serves v3, no progress thread.
    expect((await rows()).length).toBe(before);
    expect((await get(h.port)).body).toBe('v3');
    expect(h.slack.of('chat.postMessage')).toEqual([]);
    // The old card is spent; the new one (a new nonce) rolls back.
    const fresh = button(replaced, 'rollback_confirm');
    expect(JSON.parse(fresh.value).nonce).not.toBe(JSON.parse(button(card.body, 'rollback_confirm').value).nonce);
    await send(buttonClick(button(card.body, 'rollback_confirm'), 'U1ALICE', CHANNEL));
    expect(h.slack.responses.at(-1)!.body.text).toMatch(/Nothing happened: this card was replaced by a newer plan/);
    await send(buttonClick(fresh, 'U1ALICE', CHANNEL));
    expect((await get(h.port)).body).toBe('v1');
    expect((await rows())[0]).toMatchObject({ rollbackOf: d1.id, status: 'succeeded' });
    expect(h.slack.violations).toEqual([]);
  });

  it('Cancel consumes the card: a later Confirm does nothing and says so', async () => {
    await h.services.controls.unlock(app, 'U1ALICE');
    const current = (await h.services.store.current(app))!;
    const target = (await rows()).find((d) => d.status === 'succeeded' && d.commitSha === h.repo.commits[1] && d.imageId !== current.imageId)!;
    const card = await showCard(`${app} ${target.id}`);
    const confirm = button(card.body, 'rollback_confirm');
    await send(buttonClick(button(card.body, 'rollback_cancel'), 'U1ALICE', CHANNEL));
    const cancelled = h.slack.responses.at(-1)!.body;
    expect(cancelled).toMatchObject({ replace_original: true });
    expect(cancelled.text).toContain('Rollback cancelled');
    const before = (await rows()).length;
    await send(buttonClick(confirm, 'U1ALICE', CHANNEL));
    expect(h.slack.responses.at(-1)!.body.text).toMatch(/Nothing happened: this rollback card was cancelled by <@U1ALICE>.*`\/rollback /);
    expect((await rows()).length).toBe(before);
    expect((await h.services.store.current(app))!.id).toBe(current.id);
    expect((await get(h.port)).body).toBe('v1');
  });

  it('the sweeper edits expired cards (response_url) and approval requests (chat.update) without a click', async () => {
    const current = (await h.services.store.current(app))!;
    const target = (await rows()).find((d) => d.status === 'succeeded' && d.imageId !== current.imageId)!;
    const card = await showCard(`${app} ${target.id}`);
    const cardUrl = h.slack.responses.at(-1)!.url;
    const before = h.slack.of('chat.postMessage').length;
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[2]} -- ship the migration`, 'U1ALICE', INCIDENTS));
    const request = h.slack.of('chat.postMessage').slice(before).find((c) => /Approval needed/.test(c.args.text))!;
    const queued = (await rows())[0]!;
    expect(queued.status).toBe('queued');

    const sweeper = createCardSweeper(h.bot.context);
    const replica = createCardSweeper(h.bot.context);
    expect(await sweeper.sweepNow()).toEqual({ approvals: 0, cards: 0 });
    clock.advance(16 * 60_000);
    // Two replicas sweeping at once: the card is expired, and its message edited, once.
    const edits = h.slack.responses.length;
    const passes = await Promise.all([sweeper.sweepNow(), replica.sweepNow()]);
    expect(passes.reduce((n, p) => n + p.cards, 0)).toBe(1);
    expect(passes.reduce((n, p) => n + p.approvals, 0)).toBe(0);
    expect(h.slack.responses.length).toBe(edits + 1);
    const edit = h.slack.responses.at(-1)!;
    expect(edit.url).toBe(cardUrl);
    expect(edit.body).toMatchObject({ replace_original: true });
    expect(JSON.stringify(edit.body.blocks)).toMatch(/This rollback card expired.*nothing was rolled back/);
    expect(buttonsOf(edit.body)).toEqual([]);
    // A second pass (or another replica) finds nothing more to do.
    expect(await sweeper.sweepNow()).toEqual({ approvals: 0, cards: 0 });

    clock.advance(15 * 60_000);
    expect(await sweeper.sweepNow()).toEqual({ approvals: 1, cards: 0 });
    const updated = h.slack.of('chat.update').filter((c) => c.args.ts === request.result!.ts).at(-1)!;
    expect(updated.args.text).toContain('Expired');
    expect(buttonsOf(updated.args as never)).toEqual([]);
    expect((await h.services.store.get(queued.id))!.status).not.toBe('queued');

    // Clicking the expired card afterwards changes nothing and says why.
    await send(buttonClick(button(card.body, 'rollback_confirm'), 'U1ALICE', CHANNEL));
    expect(h.slack.responses.at(-1)!.body.text).toMatch(/Nothing happened: this rollback card expired/);
    expect((await h.services.store.current(app))!.id).toBe(current.id);
    expect(h.slack.violations).toEqual([]);
  });

  it('an approval request someone deleted: when it expires its deploy is still cancelled, with nothing to warn about', async () => {
    const before = h.slack.of('chat.postMessage').length;
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[2]} -- ship the migration again`, 'U1ALICE', INCIDENTS));
    const request = h.slack.of('chat.postMessage').slice(before).find((c) => /Approval needed/.test(c.args.text))!;
    const queued = (await rows())[0]!;
    expect(queued.status).toBe('queued');
    h.slack.deleteMessage(request.result!.ts as string);

    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      clock.advance(31 * 60_000);
      expect(await createCardSweeper(h.bot.context).sweepNow()).toEqual({ approvals: 1, cards: 0 });
      // Slack was asked, and answered as it does for a deleted message; the database is what counts.
      expect(h.slack.calls.some((c) => c.method === 'chat.update:message_not_found' && c.args.ts === request.result!.ts)).toBe(true);
      expect(await h.services.store.get(queued.id)).toMatchObject({ status: 'failed', errorCode: 'cancelled', error: 'The approval request expired.' });
      expect(stderr.mock.calls.map(([text]) => String(text)).filter((text) => text.includes('card sweeper'))).toEqual([]);
    } finally {
      stderr.mockRestore();
    }
  });
});
