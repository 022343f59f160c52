import { describe, expect, it } from 'vitest';
import { APP_DOCKERFILE } from '../helpers/git-repo.js';
import { haveDocker } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = await haveDocker();
const CHANNEL = 'C1TEXT';

const REASON = '<!everyone> & <@U123> <https://evil.example|click>';
const REASON_ESCAPED = '&lt;!everyone&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt;';
const SUBJECT = 'fix <!channel> & <@U456> `code` ```';
/** What Slack would turn into a ping or a link if it arrived unescaped. */
const LIVE = ['<!everyone>', '<!channel>', '<!here>', '<@U123>', '<@U456>', '<https://evil'];
const LONG_SECRET = 'tok-9f8e7d6c5b4a3921';
const SHORT_SECRET = 'Qz';

/** The image's build log carries a fence and a channel ping; the container prints both secrets. */
const files = {
  Dockerfile: `${APP_DOCKERFILE}LABEL note="\`\`\` <!channel> & <@U123> \`\`\`"\n`,
  'start.sh': 'echo "starting on port $PORT"\necho "token=$API_TOKEN pin=$PIN"\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n',
};

describe.skipIf(!enabled)('through Bolt: user text reaches Slack as text, secrets never reach it', () => {
  const app = `f-slack-text-${process.pid}`;
  const h = useSlackHarness({
    app,
    versions: [{ body: 't0', files }],
    spec: (base) => ({ ...base, run: { ...base.run, health: `/healthz?key=${SHORT_SECRET}`, healthTimeoutMs: 2500, env: { API_TOKEN: LONG_SECRET, PIN: SHORT_SECRET } } }),
  });
  const acks: unknown[] = [];
  const command = async (name: string, text: string) => {
    const ack = await postToBolt(h.bot.url, slashCommand(name, text, 'U1ALICE', CHANNEL));
    expect(ack.status).toBe(200);
    acks.push(ack.json ?? ack.text);
    await h.bot.idle();
    return ack;
  };
  /** Everything Slack was sent as a message: Web API calls (not file bodies), response URLs and acks. */
  const messages = () => [...h.slack.calls.filter((c) => c.method !== 'upload').map((c) => c.args), ...h.slack.responses.map((r) => r.body), ...acks];

  it('a lock reason with <!everyone>, <@U123> and a link, then /deploy, unlock, deploys and a list: escaped everywhere', async () => {
    await command('/deckhand', `lock ${app} ${REASON}`);
    await command('/deploy', app);
    await command('/deckhand', `unlock ${app}`);
    await command('/deploy', `${app} <!here>`);
    const good = h.repo.commit({ body: 't1', files }, SUBJECT);
    await command('/deploy', `${app} ${good}`);
    const bad = h.repo.commit({ body: 't2', healthy: false, files }, `${SUBJECT} again`);
    await command('/deploy', `${app} ${bad}`);
    await command('/deploys', app);

    const rows = await h.services.store.list(app, 10);
    expect(rows.map((d) => d.status)).toEqual(['failed', 'succeeded']);
    const json = JSON.stringify(messages());
    for (const live of LIVE) expect(json).not.toContain(live);
    // The text is there, as text: in the lock announcement, the refused deploy, the unlock and the list.
    expect(h.slack.responses.find((r) => /locked/.test(r.body.text))!.body.text).toContain(REASON_ESCAPED);
    expect(h.slack.responses.find((r) => /unlocked/.test(r.body.text))!.body.text).toContain(`(was: ${REASON_ESCAPED})`);
    // The refused deploy is answered ephemerally (no thread): the reason as text, the code after it.
    expect(json).toMatch(/is locked by .*&lt;!everyone&gt; &amp; &lt;@U123&gt;.*\(`app_locked`\)/);
    expect(json).toContain('fix &lt;!channel&gt; &amp; &lt;@U456&gt;');
    expect(json).toContain('&lt;!here&gt;');
    expect(h.slack.violations).toEqual([]);
  });

  it('a build log line with ``` and <!channel> stays inside its fence, escaped', () => {
    const logs = h.slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.text === 'Build log');
    expect(logs.length).toBeGreaterThan(0);
    const texts = logs.map((c) => String(c.args.blocks[0].text.text));
    expect(texts.some((t) => t.includes('LABEL note='))).toBe(true);
    for (const text of texts) {
      const block = text.slice(text.indexOf('\n') + 1);
      expect(block.startsWith('```')).toBe(true);
      expect(block.endsWith('```')).toBe(true);
      expect(block.slice(3, -3)).not.toContain('``');
      // An early coalesced update may hold only the first lines; those that reached the hostile line show it escaped.
      if (text.includes('LABEL note=')) expect(block).toContain('&lt;!channel&gt;');
    }
  });

  it('the app\'s secrets, long and short, are in no message, upload or recorded event', async () => {
    const uploads = h.slack.of('upload');
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.args.content).toContain('token=*** pin=***');
    const everything = JSON.stringify([...messages(), ...uploads.map((u) => u.args)]);
    expect(everything).not.toContain(LONG_SECRET);
    expect(everything).not.toContain(SHORT_SECRET);
    expect(everything).toContain('/healthz?key=***');
    for (const deployment of await h.services.store.list(app, 10)) {
      const stored = JSON.stringify([deployment, await h.services.events.list(deployment.id)]);
      expect(stored).not.toContain(LONG_SECRET);
      expect(stored).not.toContain(SHORT_SECRET);
    }
  });
});
