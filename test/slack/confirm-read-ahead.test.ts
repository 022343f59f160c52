import { describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { buttonClick, buttonsOf, postToBolt, sign, slashCommand } from '../helpers/slack-requests.js';

const enabled = await haveDocker();
const CHANNEL = 'C1DEPLOYS';

/**
 * Confirm asks what it decides on (access, the card, the re-check of its plan) while the click's ack goes out and the
 * replay ledger records it; nothing acts before the ledger's verdict, and a replayed click still acts once.
 */
describe.skipIf(!enabled)('Confirm reads while the click is recorded, and acts only after', () => {
  const app = `f-confirm-ahead-${process.pid}`;
  const h = useSlackHarness({ app, versions: [{ body: 'a1' }, { body: 'a2' }] });

  it('with the ledger held, the re-check has run but the card is open and nothing rolled back; released, one rollback runs for two copies of the click', async () => {
    const d1 = await h.services.deploys.deploy({ app, ref: h.repo.commits[0]!, actor: 'U1ALICE', trigger: 'slack' });
    await h.services.deploys.deploy({ app, ref: h.repo.commits[1]!, actor: 'U1ALICE', trigger: 'slack' });
    expect((await postToBolt(h.bot.url, slashCommand('/rollback', `${app} ${d1.id}`, 'U1ALICE', CHANNEL))).status).toBe(200);
    await h.bot.idle();
    const card = h.slack.responses.find((r) => buttonsOf(r.body).length > 0)!.body;
    const confirm = buttonsOf(card).find((b) => b.action_id === 'rollback_confirm')!;
    const rechecks: number[] = [];
    const recheck = h.services.rollbacks.recheck.bind(h.services.rollbacks);
    h.services.rollbacks.recheck = (plan) => (rechecks.push(Date.now()), recheck(plan));
    const rowsBefore = (await h.services.store.list(app, 50)).length;
    h.slack.reset();

    const body = buttonClick(confirm, 'U1ALICE', CHANNEL);
    const headers = sign(body);
    await h.services.database.db.transaction(async (tx) => {
      await tx.execute('lock table slack_requests in access exclusive mode');
      const acks = await Promise.all([postToBolt(h.bot.url, body, headers), postToBolt(h.bot.url, body, headers)]);
      expect(acks.map((a) => a.status)).toEqual([200, 200]);
      // The reads went ahead (both copies: neither knows yet which one is the replay) ...
      await expect.poll(() => rechecks.length).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // ... and nothing acted: the card is open, no rollback row, no answer, v2 serves.
      expect((await h.services.store.list(app, 50)).length).toBe(rowsBefore);
      expect(h.slack.responses).toEqual([]);
      expect((await get(h.port)).body).toBe('a2');
    });
    await h.bot.idle();
    const rows = await h.services.store.list(app, 50);
    expect(rows.length).toBe(rowsBefore + 1);
    expect(rows[0]).toMatchObject({ trigger: 'rollback', rollbackOf: d1.id, status: 'succeeded' });
    expect((await get(h.port)).body).toBe('a1');
    // The copy that came second was a replay: one answer to the click, replacing the card.
    expect(h.slack.responses.filter((r) => r.body.replace_original)).toHaveLength(1);
    expect(h.slack.violations).toEqual([]);
  });
});
