import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/domain/clock.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import type { SlackCall } from '../helpers/slack-mock.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = await haveDocker();
const INCIDENTS = 'C9INCIDENT';

/** Real time plus an offset the test moves forward: expiry without waiting 30 minutes. */
function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    advance: (ms) => void (offset += ms),
  };
}

describe.skipIf(!enabled)('approvals in incident channels', () => {
  const app = `it-appr-${process.pid}`;
  const clock = offsetClock();
  const h = useSlackHarness({
    app,
    versions: [{ body: 'a1' }, { body: 'a2' }],
    groups: { S1OPS: ['U4CAROL'] },
    clock,
    spec: (base) => ({ ...base, approval: { when: 'channels', channels: [INCIDENTS], approvers: ['U3BOB', 'S1OPS'], expiryMs: 30 * 60_000 } }),
  });

  const send = async (body: string) => {
    expect((await postToBolt(h.bot.url, body)).status).toBe(200);
    await h.bot.idle();
  };
  /** /deploy in the incident channel: returns the approval request message. */
  const requestDeploy = async (ref: string): Promise<SlackCall> => {
    const before = h.slack.of('chat.postMessage').length;
    await send(slashCommand('/deploy', `${app} ${ref}`, 'U1ALICE', INCIDENTS));
    const request = h.slack.of('chat.postMessage').slice(before).find((c) => /Approval needed/.test(c.args.text))!;
    expect(request).toBeDefined();
    return request;
  };
  const press = (request: SlackCall, which: 'approval_approve' | 'approval_deny', user: string) =>
    send(buttonClick(buttonsOf(request.args as never).find((b) => b.action_id === which)!, user, INCIDENTS));
  const ephemeralTo = () => h.slack.responses.at(-1)!.body.text as string;

  it('outside the incident channels no approval is asked', async () => {
    await send(slashCommand('/deploy', `${app} ${h.repo.commits[0]}`, 'U1ALICE', 'C1DEPLOYS'));
    expect((await get(h.port)).body).toBe('a1');
  });

  it('the requester cannot approve, a non-approver cannot either; an approver (via a user group) can, and it runs', async () => {
    const request = await requestDeploy(h.repo.commits[1]!);
    const [queued] = await h.services.store.list(app, 1);
    expect(queued).toMatchObject({ status: 'queued', actor: 'U1ALICE' });
    await press(request, 'approval_approve', 'U1ALICE');
    expect(ephemeralTo()).toContain('self_approval');
    await press(request, 'approval_approve', 'U9MALLORY');
    expect(ephemeralTo()).toContain('You are not an approver');
    await press(request, 'approval_approve', 'U4CAROL');
    const edited = h.slack.of('chat.update').find((c) => c.args.ts === request.result!.ts)!;
    expect(edited.args.text).toContain('Approved');
    expect(JSON.stringify(edited.args.blocks)).toContain('<@U4CAROL>');
    expect(buttonsOf(edited.args as never)).toEqual([]);
    expect(await h.services.store.get(queued!.id)).toMatchObject({ status: 'succeeded' });
    expect((await get(h.port)).body).toBe('a2');
    await press(request, 'approval_deny', 'U3BOB');
    expect(ephemeralTo()).toMatch(/approval_closed.*Already approved by U4CAROL/);
    const audit = await h.services.audit.list({ app });
    expect(audit.filter((a) => a.action === 'approval.approve').map((a) => a.result).sort()).toEqual(['ok', 'refused', 'refused']);
  });

  it('Deny stops it: the deploy never runs', async () => {
    const request = await requestDeploy(h.repo.commits[0]!);
    const [queued] = await h.services.store.list(app, 1);
    await press(request, 'approval_deny', 'U3BOB');
    expect(h.slack.of('chat.update').find((c) => c.args.ts === request.result!.ts)!.args.text).toContain('Denied');
    expect(await h.services.store.get(queued!.id)).toMatchObject({ status: 'failed', errorCode: 'cancelled' });
    expect((await get(h.port)).body).toBe('a2');
  });

  it('an expired request says so when clicked', async () => {
    const request = await requestDeploy(h.repo.commits[1]!);
    clock.advance(31 * 60_000);
    await press(request, 'approval_approve', 'U3BOB');
    expect(ephemeralTo()).toContain('approval_expired');
    expect(h.slack.of('chat.update').filter((c) => c.args.ts === request.result!.ts).at(-1)!.args.text).toContain('Expired');
  });

  it('a pending request made stale by a newer successful deploy is edited to superseded and cannot be approved', async () => {
    const stale = await requestDeploy(h.repo.commits[1]!);
    const fresh = await requestDeploy(h.repo.commits[1]!);
    await press(fresh, 'approval_approve', 'U3BOB');
    await h.bot.idle();
    await expect.poll(() => h.slack.of('chat.update').filter((c) => c.args.ts === stale.result!.ts).at(-1)?.args.text ?? '').toContain('Superseded');
    await press(stale, 'approval_approve', 'U3BOB');
    expect(ephemeralTo()).toContain('superseded');
    expect(h.slack.violations).toEqual([]);
  });
});
