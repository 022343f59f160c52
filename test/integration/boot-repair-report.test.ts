import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess } from '../helpers/bot-process.js';
import { killAllChildren } from '../helpers/child-lines.js';
import { delegationEnv, runCliProcess } from '../helpers/cli-process.js';
import { createScratchDatabase } from '../helpers/db.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const enabled = (await haveDocker()) && (await havePostgres());
const REPORTS = 'C5REPORTS';

/**
 * The bot's start-up check repairs what it finds wrong (here: the serving container stopped while no bot ran, as
 * after a host or engine restart). The bot must answer while that repair runs (it can take the app's whole health
 * timeout; Slack gives a command 3 s), and the repair must reach DECKHAND_REPORT_CHANNEL like the watchdog's do, not
 * only the bot's stdout: the watchdog's first pass, later, finds nothing left to repair, so its report cannot stand
 * in. Real bot process (its Slack Web API an HTTP stand-in), CLI process, Docker, git and Postgres.
 */
describe.skipIf(!enabled)('a repair made as the bot starts: the bot answers meanwhile, and the report channel is told', () => {
  const app = `i-bootrep-${process.pid}`;
  let repo: TestRepo;
  let work: string;
  let port: number;
  let env: Record<string, string>;
  let dropDatabase: (() => Promise<void>) | undefined;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    // An app that takes 3 s to answer once started: the repair outlasts the bot's start by that much.
    repo = createTestRepo([{ body: 'boot v1', files: { 'start.sh': 'sleep 3\nexec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www\n' } }]);
    work = mkdtempSync(join(tmpdir(), 'i-bootrep-'));
    port = await freePort();
    writeFileSync(join(work, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { git: ${repo.url}, branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 30s, watch: 0 }\n`);
    const scratch = await createScratchDatabase('bootrep');
    dropDatabase = scratch.drop;
    env = { ...delegationEnv(work), DATABASE_URL: scratch.url, DECKHAND_REPORT_CHANNEL: REPORTS };
    const deployed = await runCliProcess(['deploy', app], env);
    expect(deployed.code, deployed.output).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    await killAllChildren();
    await removeAppArtifacts([app]);
    await dropDatabase?.();
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the serving container found stopped at start is started again while the bot answers, and the channel is told', async () => {
    const [serving] = await docker().listContainers({ filters: { label: [`deckhand.app=${app}`] } });
    expect(serving).toBeDefined();
    await docker().getContainer(serving!.Id).stop({ t: 1 });
    expect((await get(port).catch(() => ({ body: 'down' }))).body).toBe('down');

    bot = await startBotProcess(env);
    // It listens (and answers) while the app it started again is still coming up.
    expect((await get(bot.port, '/healthz')).status).toBe(200);
    expect((await get(port).catch(() => ({ body: 'down' }))).body).toBe('down');
    const post = await until(
      'the repair in the report channel',
      () => bot!.slack.api.map((call) => ({ ...call, args: new URLSearchParams(call.body) })).find((call) => call.method === 'chat.postMessage' && call.args.get('channel') === REPORTS && /agree again/.test(call.args.get('text') ?? '')),
      30_000,
      100,
    );
    expect(post.args.get('text')).toContain(`${app}: deckhand-${app}-1 (#1) was not running: started it again`);
    expect(bot.child.lines.some((line) => String(line.text ?? '').startsWith('deckhand: reconcile:'))).toBe(true);
    expect((await get(port)).body).toBe('boot v1');
  }, 120_000);
});
