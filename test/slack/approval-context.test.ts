import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import type { SlackCall } from '../helpers/slack-mock.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = await haveDocker();
const INCIDENTS = 'C9INCIDENT';
const REMOTE = 'https://deploy:ghp_s3cret@github.com/acme/shop.git';

describe.skipIf(!enabled)('approvals carry the context to decide; Approve re-plans', () => {
  const app = `f-cards-ctx-${process.pid}`;
  // v1, then 12 commits; the 6th adds a migration.
  const versions = [{ body: 'v1' }, ...Array.from({ length: 12 }, (_, i) => ({ body: `v${i + 2}`, ...(i === 5 ? { files: { 'migrations/0002_orders.sql': 'create table orders (id int);' } } : {}) }))];
  const h = useSlackHarness({
    app,
    versions,
    spec: (base) => ({
      ...base,
      source: { ...base.source, url: REMOTE } as typeof base.source,
      approval: { when: 'channels', channels: [INCIDENTS], approvers: ['U3BOB'], expiryMs: 30 * 60_000 },
    }),
  });
  // The app's remote is a GitHub URL (with credentials); git fetches it from the local repository through
  // url.<base>.insteadOf in a HOME of the test's own, so the link is derived from a real forge-shaped remote.
  const home = mkdtempSync(join(tmpdir(), 'deckhand-home-'));
  const savedHome = process.env.HOME;
  beforeAll(() => {
    writeFileSync(join(home, '.gitconfig'), `[url "${h.repo.url}"]\n\tinsteadOf = ${REMOTE}\n`);
    process.env.HOME = home;
  });
  afterAll(() => {
    process.env.HOME = savedHome;
    rmSync(home, { recursive: true, force: true });
  });

  const send = async (body: string) => {
    expect((await postToBolt(h.bot.url, body)).status).toBe(200);
    await h.bot.idle();
  };
  const requestDeploy = async (text: string): Promise<SlackCall> => {
    const before = h.slack.of('chat.postMessage').length;
    await send(slashCommand('/deploy', text, 'U1ALICE', INCIDENTS));
    const request = h.slack.of('chat.postMessage').slice(before).find((c) => /Approval needed/.test(c.args.text))!;
    expect(request).toBeDefined();
    return request;
  };
  const approve = (message: { blocks?: Array<Record<string, any>> }) => send(buttonClick(buttonsOf(message).find((b) => b.action_id === 'approval_approve')!, 'U3BOB', INCIDENTS));
  const short = (i: number) => h.repo.commits[i]!.slice(0, 7);

  it('the request names current and target commits, 10 commits then "…and 2 more", the migration, who and why, and a compare link', async () => {
    await h.services.deploys.deploy({ app, ref: h.repo.commits[0]!, actor: 'U1ALICE', trigger: 'slack' });
    const request = await requestDeploy(`${app} main -- <!here> ship orders & fixes`);
    const text = JSON.stringify(request.args.blocks);
    expect(text).toContain(`*Running now:* \`${short(0)}\` release v1 — T`);
    expect(text).toContain(`*Target:* \`${short(12)}\` release v13 — T`);
    expect(text).toContain('*12 commits in this deploy:*');
    for (let i = 12; i >= 3; i -= 1) expect(text).toContain(`• \`${short(i)}\` release v${i + 1} — T`);
    expect(text).not.toContain(`\`${short(2)}\` release v3`);
    expect(text).toContain('…and 2 more');
    expect(text).toContain('migrations/0002_orders.sql');
    expect(text).toContain(':raised_hand: *Approval needed* · <@U1ALICE> asks to deploy `main`');
    expect(text).toContain('*Why:* “&lt;!here&gt; ship orders &amp; fixes”');
    expect(text).toContain(`<https://github.com/acme/shop/compare/${h.repo.commits[0]}...${h.repo.commits[12]}|Compare on GitHub>`);
    expect(JSON.stringify(h.slack.calls)).not.toContain('s3cret');
    expect(h.slack.violations).toEqual([]);
  });

  it('a branch that moved since the request: Approve shows the new plan instead of deploying; the next Approve deploys it', async () => {
    const request = (await h.services.store.list(app, 1))[0]!;
    expect(request.status).toBe('queued');
    const shown = h.slack.of('chat.postMessage').filter((c) => /Approval needed/.test(c.args.text)).at(-1)!;
    const moved = h.repo.commit({ body: 'v14' }, 'release v14');
    h.slack.reset();
    await approve(shown.args as never);
    expect(h.slack.responses.at(-1)!.body.text).toMatch(/`plan_changed`: The plan changed since this request was shown: The target changed: it is now [0-9a-f]{7}/);
    const updated = h.slack.of('chat.update').filter((c) => c.args.ts === shown.result!.ts).at(-1)!;
    expect(updated.args.text).toMatch(/^The plan changed; read it again\. Approval needed/);
    expect(JSON.stringify(updated.args.blocks)).toContain(`*Target:* \`${moved.slice(0, 7)}\` release v14`);
    expect(JSON.stringify(updated.args.blocks)).toContain('*13 commits in this deploy:*');
    expect((await h.services.store.get(request.id))!.status).toBe('queued');
    expect((await get(h.port)).body).toBe('v1');

    await approve(updated.args as never);
    expect((await get(h.port)).body).toBe('v14');
    expect(h.slack.violations).toEqual([]);
  });

  it('a rollback card shows the same commit list and link, as the commits the rollback undoes', async () => {
    const d1 = (await h.services.store.list(app, 50)).find((d) => d.commitSha === h.repo.commits[0] && d.status === 'succeeded')!;
    const before = h.slack.responses.length;
    await send(slashCommand('/rollback', `${app} ${d1.id}`, 'U1ALICE', 'C1DEPLOYS'));
    const card = h.slack.responses.slice(before).find((r) => buttonsOf(r.body).length > 0)!;
    const text = JSON.stringify(card.body.blocks);
    expect(text).toContain('*13 commits undone by this rollback:*');
    expect(text).toContain(`• \`${h.repo.commits[13]!.slice(0, 7)}\` release v14 — T`);
    expect(text).toContain('…and 3 more');
    expect(text).toContain(`<https://github.com/acme/shop/compare/${h.repo.commits[0]}...${h.repo.commits[13]}|Compare on GitHub>`);
    expect(h.slack.violations).toEqual([]);
  });

  it('a rollback asked in an incident channel: the approval request carries the reason from the card, the commits and the link', async () => {
    const d1 = (await h.services.store.list(app, 50)).find((d) => d.commitSha === h.repo.commits[0] && d.status === 'succeeded')!;
    const before = h.slack.responses.length;
    await send(slashCommand('/rollback', `${app} ${d1.id} -- orders page 500s`, 'U1ALICE', INCIDENTS));
    const card = h.slack.responses.slice(before).find((r) => buttonsOf(r.body).length > 0)!;
    const posts = h.slack.of('chat.postMessage').length;
    await send(buttonClick(buttonsOf(card.body).find((b) => b.action_id === 'rollback_confirm')!, 'U1ALICE', INCIDENTS));
    const request = h.slack.of('chat.postMessage').slice(posts).find((c) => /Approval needed/.test(c.args.text))!;
    const text = JSON.stringify(request.args.blocks);
    expect(request.args.text).toContain(`roll *${app}* back to #${d1.id}`);
    expect(text).toContain('*Why:* “orders page 500s”');
    expect(text).toContain('*13 commits undone by this rollback:*');
    expect(text).toContain('migrations/0002_orders.sql');
    expect(text).toContain(`<https://github.com/acme/shop/compare/${h.repo.commits[0]}...${h.repo.commits[13]}|Compare on GitHub>`);
    expect((await get(h.port)).body).toBe('v14');
    expect(h.slack.violations).toEqual([]);
  });
});
