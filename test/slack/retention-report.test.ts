import { getTasks } from 'node-cron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobs } from '../../src/jobs/schedules.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { startBot } from '../helpers/slack-bot.js';
import { type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { postToBolt, slashCommand } from '../helpers/slack-requests.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();
const REPORTS = 'C5REPORTS';

describe.skipIf(!enabled)('prune reports and retention summaries posted to Slack', () => {
  const app = `it-rep-${process.pid}`;
  let repo: TestRepo;
  let slack: SlackMock;
  let services: TestServices;
  let bot: Awaited<ReturnType<typeof startBot>>;
  const ids: number[] = [];

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'p1' }, { body: 'p2' }, { body: 'p3' }, { body: 'p4' }]);
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    services = await createTestServices({ apps: [{ ...gitApp(app, repo.url, await freePort()), retention: { keepLast: 1, keepDays: 0 } }], env: { DECKHAND_REPORT_CHANNEL: REPORTS, TZ: 'Europe/Paris' } });
    for (const sha of repo.commits) ids.push((await services.deploys.deploy({ app, ref: sha, actor: 'U-ops', trigger: 'cli' })).id);
    bot = await startBot(services);
  });

  afterAll(async () => {
    await bot?.stop();
    await removeAppArtifacts([app]);
    await services?.dispose();
    slack?.server.close();
    repo?.cleanup();
  });

  const jobs = () => createJobs(services, (message) => bot.context.gateway.post(REPORTS, message).then(() => undefined));

  it('the weekly summary names disk use, the rollback window and what the next prune would remove', async () => {
    await jobs().summaryNow();
    const summary = slack.of('chat.postMessage').filter((c) => c.args.channel === REPORTS).at(-1)!;
    const text = JSON.stringify(summary.args.blocks);
    expect(summary.args.text).toBe('Retention summary');
    expect(text).toContain(`*${app}*: 4 image(s)`);
    expect(text).toMatch(/on disk/);
    expect(text).toContain(`#${ids[3]} running; #${ids[2]} instant (image on host); #${ids[1]}, #${ids[0]} needs a rebuild`);
    expect(text).toContain('Next prune would remove 2 image(s)');
    expect(slack.violations).toEqual([]);
  });

  it('after a run the report names kept, pruned with reasons, bytes freed and the rollback window per app', async () => {
    await jobs().pruneNow();
    const report = slack.of('chat.postMessage').filter((c) => c.args.channel === REPORTS).at(-1)!;
    expect(report.args.text).toMatch(/^Prune report: freed \d+(\.\d)? (B|KiB|MiB)$/);
    const text = JSON.stringify(report.args.blocks);
    expect(text).toContain(`*${app}* (keep last 1 or 0 days)`);
    expect(text).toContain('Kept 2: running 1, keep_last 1, previous 1');
    expect(text).toMatch(/Pruned 2: outside_policy 2 · freed \*\d/);
    expect(text).toContain(`Rollback window: #${ids[3]} running; #${ids[2]} instant (image on host); #${ids[1]}, #${ids[0]} needs a rebuild`);
    expect(slack.violations).toEqual([]);
  });

  it('/deckhand prune <app> dry-run posts the plan in the channel; /deckhand pin keeps an image', async () => {
    await postToBolt(bot.url, slashCommand('/deckhand', `pin ${app} ${ids[3]}`, 'U1ALICE', 'C1DEPLOYS'));
    await bot.idle();
    expect((await services.pins.list(app)).map((p) => p.deploymentId)).toEqual([ids[3]]);
    await postToBolt(bot.url, slashCommand('/deckhand', `prune ${app} dry-run`, 'U1ALICE', 'C1DEPLOYS'));
    await bot.idle();
    const posted = slack.of('chat.postMessage').filter((c) => c.args.channel === 'C1DEPLOYS').at(-1)!;
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
