import { getTasks } from 'node-cron';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJobs } from '../../src/jobs/schedules.js';
import { haveDocker } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = await haveDocker();
const REPORTS = 'C5REPORTS';

describe.skipIf(!enabled)('prune reports and retention summaries posted to Slack', () => {
  const app = `it-rep-${process.pid}`;
  const ids: number[] = [];
  const h = useSlackHarness({
    app,
    versions: [{ body: 'p1' }, { body: 'p2' }, { body: 'p3' }, { body: 'p4' }],
    env: { DECKHAND_REPORT_CHANNEL: REPORTS, TZ: 'Europe/Paris' },
    spec: (base) => ({ ...base, retention: { keepLast: 1, keepDays: 0 } }),
  });

  beforeAll(async () => {
    for (const sha of h.repo.commits) ids.push((await h.services.deploys.deploy({ app, ref: sha, actor: 'U-ops', trigger: 'cli' })).id);
  });

  const jobs = () => createJobs(h.services, (message) => h.bot.context.gateway.post(REPORTS, message).then(() => undefined));

  it('the weekly summary names disk use, the rollback window and what the next prune would remove', async () => {
    await jobs().summaryNow();
    const summary = h.slack.of('chat.postMessage').filter((c) => c.args.channel === REPORTS).at(-1)!;
    const text = JSON.stringify(summary.args.blocks);
    expect(summary.args.text).toBe('Retention summary');
    expect(text).toContain(`*${app}*: 4 image(s)`);
    expect(text).toMatch(/on disk/);
    expect(text).toContain(`#${ids[3]} running; #${ids[2]} instant (image on host); #${ids[1]}, #${ids[0]} needs a rebuild`);
    expect(text).toContain('Next prune would remove 2 image(s)');
    expect(h.slack.violations).toEqual([]);
  });

  it('after a run the report names kept, pruned with reasons, bytes freed and the rollback window per app', async () => {
    await jobs().pruneNow();
    const report = h.slack.of('chat.postMessage').filter((c) => c.args.channel === REPORTS).at(-1)!;
    expect(report.args.text).toMatch(/^Prune report: freed \d+(\.\d)? (B|KiB|MiB)$/);
    const text = JSON.stringify(report.args.blocks);
    expect(text).toContain(`*${app}* (keep last 1 or 0 days)`);
    expect(text).toContain('Kept 2: running 1, previous 1, keep_last 1');
    expect(text).toMatch(/Pruned 2: outside_policy 2 · freed \*\d/);
    expect(text).toContain(`Rollback window: #${ids[3]} running; #${ids[2]} instant (image on host); #${ids[1]}, #${ids[0]} needs a rebuild`);
    expect(h.slack.violations).toEqual([]);
  });

  it('/deckhand prune <app> dry-run posts the plan in the channel; /deckhand pin keeps an image', async () => {
    await postToBolt(h.bot.url, slashCommand('/deckhand', `pin ${app} ${ids[3]}`, 'U1ALICE', 'C1DEPLOYS'));
    await h.bot.idle();
    expect((await h.services.pins.list(app)).map((p) => p.deploymentId)).toEqual([ids[3]]);
    await postToBolt(h.bot.url, slashCommand('/deckhand', `prune ${app} dry-run`, 'U1ALICE', 'C1DEPLOYS'));
    await h.bot.idle();
    const posted = h.slack.of('chat.postMessage').filter((c) => c.args.channel === 'C1DEPLOYS').at(-1)!;
    expect(posted.args.text).toMatch(/^Prune dry run: would free/);
    expect(JSON.stringify(posted.args.blocks)).toContain('Kept 2');
  });

  it('schedules both jobs by name, and stops them', async () => {
    const scheduled = jobs();
    const before = getTasks().size;
    scheduled.start();
    expect([...getTasks().values()].map((t) => t.name)).toEqual(expect.arrayContaining(['deckhand-prune', 'deckhand-retention-summary']));
    expect(getTasks().size).toBe(before + 2);
    scheduled.stop();
    await expect.poll(() => getTasks().size).toBe(before);
  });
});
