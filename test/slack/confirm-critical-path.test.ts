import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/deployment.js';
import { docker } from '../helpers/docker.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { until } from '../helpers/until.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());
const CHANNEL = 'C1DEPLOYS';
const SLACK_DELAY_MS = 3000;
/** Each wait here: up to 30 s, looking every 5 ms (the moments it compares are a few ms apart). */
const LIMIT_MS = 30_000;
const EVERY_MS = 5;

/**
 * Work never waits for Slack, measured where it matters: with every Slack answer (Web API and response_url) held
 * back for 3 s, a Confirm click starts the new container, and the new version answers on the app's port, before
 * Slack has answered anything since the click, although deckhand already asked it (the progress thread, the
 * confirmation). The order is read off the real engine's event stream, the app's port and the Slack stand-in.
 */
describe.skipIf(!enabled)('Confirm click: nothing waits for Slack before the new version serves', () => {
  const app = `e-confirm-${process.pid}`;
  const h = useSlackHarness({ app, versions: [{ body: 'v1' }, { body: 'v2' }] });
  let d1: Awaited<ReturnType<typeof h.services.deploys.deploy>>;

  beforeAll(async () => {
    d1 = await h.services.deploys.deploy({ app, ref: h.repo.commits[0]!, actor: 'U1ALICE', trigger: 'cli' });
    const d2 = await h.services.deploys.deploy({ app, ref: h.repo.commits[1]!, actor: 'U1ALICE', trigger: 'cli' });
    expect([d1.status, d2.status], `${d1.error} / ${d2.error}`).toEqual(['succeeded', 'succeeded']);
  });

  afterAll(async () => {
    h.slack?.slowAnswers(0);
  });

  it(`the container starts and the new version serves before any Slack answer (all ${SLACK_DELAY_MS / 1000} s late)`, async () => {
    const before = h.slack.responses.length;
    await postToBolt(h.bot.url, slashCommand('/rollback', `${app} ${d1.id}`, 'U1ALICE', CHANNEL));
    const confirm = await until(
      'the rollback card',
      () => h.slack.responses.slice(before).flatMap((r) => buttonsOf(r.body)).find((b) => b.action_id === 'rollback_confirm'),
      LIMIT_MS,
      EVERY_MS,
    );

    // Each step with when it happened: Slack's as the stand-in saw it, the engine's start as the engine stamped it
    // (its event stream may be read after the app already answers), the app's answer as this test saw it.
    const steps: Array<{ what: string; at: number }> = [];
    h.slack.onStep((step) => steps.push({ what: `slack ${step.kind} ${step.method}`, at: Date.now() }));
    // The engine's own event stream: a container of this app started.
    const events = (await docker().getEvents({ filters: { label: [`deckhand.app=${app}`], event: ['start'] } })) as NodeJS.ReadableStream & { destroy(): void };
    let buffered = '';
    events.on('data', (chunk: Buffer) => {
      const lines = (buffered + chunk.toString()).split('\n');
      buffered = lines.pop()!;
      for (const line of lines.filter((l) => l.trim())) steps.push({ what: 'docker started', at: Number((JSON.parse(line) as { timeNano: number }).timeNano) / 1e6 });
    });
    h.slack.slowAnswers(SLACK_DELAY_MS);
    let served = false;
    const serving = until('v1 on the app port', async () => {
      const answer = await get(h.port, '/', 1000).catch(() => undefined);
      if (answer?.status === 200 && answer.body === 'v1') return (served = true);
      return undefined;
    }, LIMIT_MS, EVERY_MS);
    const ack = await postToBolt(h.bot.url, buttonClick(confirm, 'U1ALICE', CHANNEL));
    expect(ack.status).toBe(200);
    await serving;
    steps.push({ what: 'v1 serves', at: Date.now() });
    await until('a Slack answer and the engine\'s start event', () => steps.some((e) => e.what.startsWith('slack answered')) && steps.some((e) => e.what === 'docker started'), LIMIT_MS, EVERY_MS);

    const first = (prefix: string) => Math.min(...steps.filter((e) => e.what.startsWith(prefix)).map((e) => e.at));
    expect(served).toBe(true);
    // deckhand asked Slack before the container started (the thread, the confirmation) but waited for none of it.
    expect(steps.some((e) => e.what.startsWith('slack asked'))).toBe(true);
    expect(first('slack asked')).toBeLessThanOrEqual(first('docker started'));
    // The engine stamps its start event once its start call is over, which may be a moment after the app answered.
    expect(first('docker started')).toBeLessThan(first('slack answered'));
    expect(first('v1 serves')).toBeLessThan(first('slack answered'));

    h.slack.slowAnswers(0);
    const [row] = await until('the rollback to finish', async () => {
      const rows = await h.services.store.list(app, 1);
      return rows[0] && rows[0].rollbackOf === d1.id && isTerminal(rows[0].status) ? rows : undefined;
    }, LIMIT_MS, EVERY_MS);
    expect(row).toMatchObject({ status: 'succeeded', rollbackSource: 'reuse_image' });
    events.destroy();
    await h.bot.idle();
  });
});
