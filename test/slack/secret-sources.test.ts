import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());
const CHANNEL = 'C1SECRETS';
const TOKEN = 'p14s-env-token-5c2e81f0aa37';
const FILE_SECRET = 'p14s-file-secret-77d0b3c9e412';
const secretDir = mkdtempSync(join(tmpdir(), 'p14s-'));
writeFileSync(join(secretDir, 'token'), `${FILE_SECRET}\r\n`);
// deckhand reads fromEnv sources from its own environment.
process.env.P14S_API_TOKEN = TOKEN;

const worker = (version: string) => `echo "worker ${version} has token $API_TOKEN and file $FILE_SECRET"
exec /bin/busybox sleep 100000
`;
const crashing = `echo "worker v3 dies with token $API_TOKEN and file $FILE_SECRET"
exit 1
`;

describe.skipIf(!enabled)('secrets read from env and files never reach Slack: thread, result, log upload, "Show full log"', () => {
  const app = `p14s-${process.pid}`;
  const h = useSlackHarness({
    app,
    versions: [
      { body: 'v1', files: { 'www/worker.sh': worker('v1') } },
      { body: 'v2', files: { 'www/worker.sh': worker('v2') } },
      { body: 'v3', files: { 'www/worker.sh': crashing } },
    ],
    spec: (base) => ({
      ...base,
      run: { ...base.run, env: {}, secretEnv: { API_TOKEN: { fromEnv: 'P14S_API_TOKEN' }, FILE_SECRET: { fromFile: join(secretDir, 'token') } }, stopTimeoutMs: 1000 },
      processes: [{ name: 'worker', command: ['/bin/busybox', 'sh', '/www/worker.sh'], replicas: 1, env: {}, secretEnv: {}, healthyAfterMs: 1000 }],
    }),
  });
  afterAll(() => rmSync(secretDir, { recursive: true, force: true }));
  const command = async (text: string) => expect((await postToBolt(h.bot.url, slashCommand('/deploy', `${app} ${text}`, 'U1ALICE', CHANNEL))).status).toBe(200);

  it('deploys with the secrets, fails a release whose worker prints them and dies, and shows every log with them starred', async () => {
    await command(h.repo.commits[0]!);
    await h.bot.idle();
    await command(h.repo.commits[1]!);
    await h.bot.idle();
    expect((await get(h.port)).body).toBe('v2');
    await command(h.repo.commits[2]!);
    await h.bot.idle();
    const [d3] = await h.services.store.list(app, 1);
    expect(d3).toMatchObject({ status: 'failed', errorCode: 'health_check_failed' });

    // The thread told the story of the worker, and the result quotes its log.
    const thread = JSON.stringify(h.slack.calls.filter((c) => c.args.channel === CHANNEL).map((c) => c.args));
    expect(thread).toContain('worker ×1');
    expect(thread).toContain('worker v3 dies with token *** and file ***');
    const upload = h.slack.of('upload').map((c) => c.args.content as string).join('\n');
    expect(upload).toContain('worker v3 dies with token *** and file ***');

    const parent = h.slack.of('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts).at(-1)!;
    const final = h.slack.of('chat.update').filter((c) => c.args.ts === parent.result?.ts).at(-1)!;
    const showLog = buttonsOf(final.args as never).find((b) => b.text === 'Show full log')!;
    expect((await postToBolt(h.bot.url, buttonClick(showLog, 'U1ALICE', CHANNEL))).status).toBe(200);
    await h.bot.idle();
    expect(JSON.stringify(h.slack.responses.at(-1)!.body.blocks)).toContain('worker v3 dies with token ***');

    const everything = Buffer.from(JSON.stringify({ calls: h.slack.calls.map((c) => c.args), responses: h.slack.responses.map((r) => r.body) }));
    for (const secret of [TOKEN, FILE_SECRET]) expect(everything.indexOf(Buffer.from(secret))).toBe(-1);
    expect((await get(h.port)).body).toBe('v2');
    expect(h.slack.violations).toEqual([]);
  }, 180_000);
});
