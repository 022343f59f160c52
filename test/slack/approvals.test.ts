import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/domain/clock.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { startBot } from '../helpers/slack-bot.js';
import { type SlackCall, type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

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
  let repo: TestRepo;
  let slack: SlackMock;
  let services: TestServices;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let port: number;
  const clock = offsetClock();

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'a1' }, { body: 'a2' }]);
    slack = createSlackMock({ groups: { S1OPS: ['U4CAROL'] } });
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    port = await freePort();
    const spec = { ...gitApp(app, repo.url, port), approval: { when: 'channels' as const, channels: [INCIDENTS], approvers: ['U3BOB', 'S1OPS'], expiryMs: 30 * 60_000 } };
    services = await createTestServices({ apps: [spec], clock });
    bot = await startBot(services, { streamIntervalMs: 300, clock });
  });

  afterAll(async () => {
    await bot?.stop();
    await removeAppArtifacts([app]);
    await services?.dispose();
    slack?.server.close();
    repo?.cleanup();
  });

  const send = async (body: string) => {
    expect((await postToBolt(bot.url, body)).status).toBe(200);
    await bot.idle();
  };
  /** /deploy in the incident channel: returns the approval request message. */
  const requestDeploy = async (ref: string): Promise<SlackCall> => {
    const before = slack.of('chat.postMessage').length;
    await send(slashCommand('/deploy', `${app} ${ref}`, 'U1ALICE', INCIDENTS));
    const request = slack.of('chat.postMessage').slice(before).find((c) => /Approval needed/.test(c.args.text))!;
    expect(request).toBeDefined();
    return request;
  };
  const press = (request: SlackCall, which: 'approval_approve' | 'approval_deny', user: string) =>
    send(buttonClick(buttonsOf(request.args as never).find((b) => b.action_id === which)!, user, INCIDENTS));
  const ephemeralTo = () => slack.responses.at(-1)!.body.text as string;

  it('outside the incident channels no approval is asked', async () => {
    await send(slashCommand('/deploy', `${app} ${repo.commits[0]}`, 'U1ALICE', 'C1DEPLOYS'));
    expect((await get(port)).body).toBe('a1');
  });

  it('the requester cannot approve, a non-approver cannot either; an approver (via a user group) can, and it runs', async () => {
    const request = await requestDeploy(repo.commits[1]!);
    const [queued] = await services.store.list(app, 1);
    expect(queued).toMatchObject({ status: 'queued', actor: 'U1ALICE' });
    await press(request, 'approval_approve', 'U1ALICE');
    expect(ephemeralTo()).toContain('self_approval');
    await press(request, 'approval_approve', 'U9MALLORY');
    expect(ephemeralTo()).toContain('You are not an approver');
    await press(request, 'approval_approve', 'U4CAROL');
    const edited = slack.of('chat.update').find((c) => c.args.ts === request.result!.ts)!;
    expect(edited.args.text).toContain('Approved');
    expect(JSON.stringify(edited.args.blocks)).toContain('<@U4CAROL>');
    expect(buttonsOf(edited.args as never)).toEqual([]);
    expect(await services.store.get(queued!.id)).toMatchObject({ status: 'succeeded' });
    expect((await get(port)).body).toBe('a2');
    await press(request, 'approval_deny', 'U3BOB');
    expect(ephemeralTo()).toMatch(/approval_closed.*Already approved by U4CAROL/);
    const audit = await services.audit.list({ app });
    expect(audit.filter((a) => a.action === 'approval.approve').map((a) => a.result).sort()).toEqual(['ok', 'refused', 'refused']);
  });

  it('Deny stops it: the deploy never runs', async () => {
    const request = await requestDeploy(repo.commits[0]!);
    const [queued] = await services.store.list(app, 1);
    await press(request, 'approval_deny', 'U3BOB');
    expect(slack.of('chat.update').find((c) => c.args.ts === request.result!.ts)!.args.text).toContain('Denied');
    expect(await services.store.get(queued!.id)).toMatchObject({ status: 'failed', errorCode: 'cancelled' });
    expect((await get(port)).body).toBe('a2');
  });

  it('an expired request says so when clicked', async () => {
    const request = await requestDeploy(repo.commits[1]!);
    clock.advance(31 * 60_000);
    await press(request, 'approval_approve', 'U3BOB');
    expect(ephemeralTo()).toContain('approval_expired');
    expect(slack.of('chat.update').filter((c) => c.args.ts === request.result!.ts).at(-1)!.args.text).toContain('Expired');
  });

  it('a pending request made stale by a newer successful deploy is edited to superseded and cannot be approved', async () => {
    const stale = await requestDeploy(repo.commits[1]!);
    const fresh = await requestDeploy(repo.commits[1]!);
    await press(fresh, 'approval_approve', 'U3BOB');
    await bot.idle();
    await expect.poll(() => slack.of('chat.update').filter((c) => c.args.ts === stale.result!.ts).at(-1)?.args.text ?? '').toContain('Superseded');
    await press(stale, 'approval_approve', 'U3BOB');
    expect(ephemeralTo()).toContain('superseded');
    expect(slack.violations).toEqual([]);
  });
});
