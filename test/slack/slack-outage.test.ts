import { describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());
const CHANNEL = 'C1OUTAGE';

/** Polls the app's port until it serves `body`; bounded. */
async function servesBody(port: number, body: string, maxMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const answer = await get(port, '/', 1000).catch(() => undefined);
    if (answer?.status === 200 && answer.body === body) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} never served ${body}`);
}

describe.skipIf(!enabled)('work never waits for Slack: a rate-limiting or failing Slack delays words, never the deploy', () => {
  const app = `f-outbox-outage-${process.pid}`;
  const h = useSlackHarness({ app, versions: [{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }] });
  const deploy = async (ref: string, channel = CHANNEL) => {
    const ack = await postToBolt(h.bot.url, slashCommand('/deploy', `${app} ${ref}`, 'U1ALICE', channel));
    expect(ack.status).toBe(200);
  };

  it('with chat.postMessage rate-limited for 30 s, the app serves the new version before Slack accepts the first message; the final status lands after', async () => {
    h.slack.reset();
    h.slack.rateLimitFor('chat.postMessage', 30_000);
    await deploy(h.repo.commits[0]!);
    await servesBody(h.port, 'v1');
    // The deploy is done while Slack still has not taken a single message in the channel.
    expect(h.slack.of('chat.postMessage')).toEqual([]);
    await h.bot.idle();
    expect((await h.services.store.current(app))?.commitSha).toBe(h.repo.commits[0]);
    expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage:429').length).toBeGreaterThan(0);
    const parent = h.slack.of('chat.postMessage')[0]!;
    expect(parent.args.channel).toBe(CHANNEL);
    expect(h.slack.finalText(parent)).toMatch(new RegExp(`Deployed ${app} #\\d+ \\(\`${h.repo.commits[0]!.slice(0, 7)}\`\\) in `));
    // Updates queued before the parent existed were applied to it once it landed, in order, in its thread.
    expect(h.slack.thread(parent).map((c) => c.args.text as string).join('\n')).toMatch(/Building[\s\S]*Starting container[\s\S]*Traffic on port[\s\S]*Deployed/);
    expect(h.slack.violations).toEqual([]);
  }, 120_000);

  it('a 500 from Slack is retried with backoff: the thread and the final status still land', async () => {
    h.slack.reset();
    h.slack.failNext('chat.postMessage', 2, 500);
    await deploy(h.repo.commits[1]!);
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('v2');
    expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage:500')).toHaveLength(2);
    const parent = h.slack.of('chat.postMessage')[0]!;
    expect(parent.args.text).toContain(`Deploying \`${h.repo.commits[1]}\``);
    expect(h.slack.finalText(parent)).toMatch(new RegExp(`Deployed ${app} #\\d+ \\(\`${h.repo.commits[1]!.slice(0, 7)}\`\\)`));
    expect(h.slack.responses).toEqual([]);
  }, 90_000);

  it('a channel that refuses for good (not_in_channel): the person is told why and how to fix it through response_url, and the result still reaches them', async () => {
    h.slack.reset();
    h.slack.refuseChannel('C9NOTIN', 'not_in_channel');
    await deploy(h.repo.commits[2]!, 'C9NOTIN');
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('v3');
    expect(h.slack.of('chat.postMessage')).toEqual([]);
    const texts = h.slack.responses.map((r) => r.body.text as string);
    expect(texts[0]).toContain("I can't post in <#C9NOTIN>");
    expect(texts[0]).toContain('/invite @deckhand');
    expect(texts[0]).toContain('`not_in_channel`');
    expect(texts.at(-1)).toMatch(new RegExp(`Deployed ${app} #\\d+ \\(\`${h.repo.commits[2]!.slice(0, 7)}\`\\)`));
    expect(h.slack.responses.every((r) => r.body.response_type === 'ephemeral')).toBe(true);
    expect(h.slack.responses.length).toBeLessThanOrEqual(5);
    expect(h.slack.violations).toEqual([]);
  }, 90_000);
});

describe.skipIf(!enabled)('a Slack that will not take messages before their deadline: the person hears through response_url', () => {
  const app = `f-outbox-deadline-${process.pid}`;
  const h = useSlackHarness({ app, versions: [{ body: 'd1' }], bot: { slackDeadlineMs: 2000 } });

  it('rate-limited past the deadline: the deploy runs, and the reason and the result reach the person', async () => {
    h.slack.rateLimitFor('chat.postMessage', 60_000);
    expect((await postToBolt(h.bot.url, slashCommand('/deploy', `${app} ${h.repo.commits[0]}`, 'U1ALICE', 'C2SLOW'))).status).toBe(200);
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('d1');
    const texts = h.slack.responses.map((r) => String(r.body.text));
    expect(texts[0]).toMatch(/Slack did not accept my messages in <#C2SLOW> for \d+ s \(rate limited\), so I report here instead\. The deploy goes on/);
    expect(texts.at(-1)).toMatch(new RegExp(`Deployed ${app} #\\d+`));
    expect(h.slack.of('chat.postMessage')).toEqual([]);
  }, 90_000);
});
