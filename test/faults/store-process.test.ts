import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_APP, LABEL_DEPLOYMENT } from '../../src/adapters/docker/container-state.js';
import { parseRecord } from '../../src/adapters/db/store-owner.js';
import { InFlightStatuses } from '../../src/domain/deployment.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { type LineChild, killAllChildren, startNode } from '../helpers/child-lines.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { dockerSocket, haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { childProcess, running } from '../helpers/proc.js';
import { postToBolt, sign, slashCommand } from '../helpers/slack-requests.js';
import { startSlackStandIn } from '../helpers/slack-standin.js';
import { until } from '../helpers/until.js';

const enabled = await haveDocker();
const APP = `f-storeproc-${process.pid}`;
const SECRET = 'store-process-secret';
/** Records every module each process resolves, in imports-<pid>.log (the store process inherits it from the bot). */
const HOOK = fileURLToPath(new URL('../helpers/import-log/register.mjs', import.meta.url));
/** v2 answers 3 s after it starts: the deploy is in flight, its container up and not yet healthy, long enough to strike. */
const SLOW_START = 'echo "starting v2"\n/bin/busybox sleep 3\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n';

type Row = { id: number; status: string };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const storePid = (botPid: number) => childProcess(botPid, 'store-main');

describe.skipIf(!enabled)('the bot runs the embedded store in a child process it supervises', () => {
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let slack: Awaited<ReturnType<typeof startSlackStandIn>>;
  let work: string;
  let dataDir: string;
  let port: number;
  let botPort: number;
  let bot: LineChild;

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: work,
    DECKHAND_DATA_DIR: dataDir,
    DECKHAND_CONFIG: join(work, 'deckhand.yml'),
    DOCKER_SOCKET: dockerSocket,
    DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl,
    DECKHAND_PUBLIC_HOST: '127.0.0.1',
    DECKHAND_DRAIN: '200ms',
    DECKHAND_LOCK_LEASE: '3s',
    NODE_OPTIONS: `--import ${HOOK}`,
    DECKHAND_IMPORT_LOG: join(work, 'imports-%p.log'),
    ...extra,
  });
  const imports = (pid: number) => readFileSync(join(work, `imports-${pid}.log`), 'utf8').split('\n').filter(Boolean);
  const pglite = (urls: string[]) => urls.some((url) => url.includes('/node_modules/@electric-sql/pglite/'));

  async function cli(...args: string[]): Promise<{ code: number | string; stdout: string; stderr: string; pid: number }> {
    const child = startNode('src/main-cli.ts', args, env());
    const code = await Promise.race([child.exited, sleep(150_000).then(() => 'timeout')]);
    child.kill('SIGKILL');
    return { code, stdout: child.stdout(), stderr: child.stderr(), pid: child.pid };
  }
  const history = async () => {
    const run = await cli('deploys', APP, '--json');
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as Row[];
  };
  const command = async (name: string, text: string) => {
    const body = slashCommand(name, text).replace(encodeURIComponent('https://hooks.slack.test'), encodeURIComponent(slack.hooksUrl));
    return postToBolt(`http://127.0.0.1:${botPort}`, body, sign(body, undefined, SECRET));
  };

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2', files: { 'start.sh': SLOW_START } }]);
    caddy = await startCaddy();
    slack = await startSlackStandIn();
    work = mkdtempSync(join(tmpdir(), 'f-storeproc-'));
    dataDir = join(work, 'data');
    port = await freePort();
    botPort = await freePort();
    writeFileSync(join(work, 'deckhand.yml'), `apps:\n  ${APP}:\n    source: { git: ${repo.url}, branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 30s, watch: 0 }\n`);
    bot = startNode('src/main.ts', [], env({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: String(botPort), DECKHAND_WATCHDOG_INTERVAL: '1s' }));
    await bot.waitFor((line) => String(line.text ?? '').includes('listening on'), 120_000);
  }, 180_000);

  afterAll(async () => {
    await killAllChildren();
    if (enabled) await removeAppArtifacts([APP]);
    await slack?.stop();
    await caddy?.stop();
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the store is a separate process that owns the lock; PGlite is loaded there, not in the bot; a CLI beside the bot goes through its socket', { timeout: 200_000 }, async () => {
    const store = storePid(bot.pid);
    expect(store).toBeDefined();
    expect(store).not.toBe(bot.pid);
    expect(parseRecord(readFileSync(`${dataDir}/db.lock`, 'utf8'))?.pid).toBe(store);

    const first = await cli('deploy', APP, repo.commits[0]!, '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ id: 1, status: 'succeeded' });
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });

    // The hook saw each process (an empty log cannot pass for a lean one): only the store process loaded PGlite.
    expect(imports(bot.pid).some((url) => url.endsWith('/src/main.ts'))).toBe(true);
    expect(pglite(imports(bot.pid))).toBe(false);
    expect(imports(store!).some((url) => url.endsWith('/src/store-main.ts'))).toBe(true);
    expect(pglite(imports(store!))).toBe(true);
    expect(imports(first.pid).some((url) => url.endsWith('/src/main-cli.ts'))).toBe(true);
    expect(pglite(imports(first.pid))).toBe(false);
  });

  it('kill -9 of the store process during a deploy: the previous version serves throughout, the bot restarts the store, the record is true after recovery, the next command works', { timeout: 200_000 }, async () => {
    const loop = requestLoop(port, { maxMs: 150_000 });
    const answer = await command('/deploy', `${APP} ${repo.commits[1]}`);
    expect(answer.status).toBe(200);
    const filters = { label: [`${LABEL_APP}=${APP}`, `${LABEL_DEPLOYMENT}=2`] };
    const started = () => docker().listContainers({ all: true, filters });
    await until('the container of deploy #2', async () => ((await started()).length > 0 ? true : undefined));

    // The store dies while #2 waits for health, and again each time it comes back, until the deploy gave up and
    // removed its container: its switch can find no store to record itself in.
    const killed = new Set<number>();
    await until('deploy #2 to remove its container', async () => {
      const pid = storePid(bot.pid);
      if (pid && !killed.has(pid)) {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      }
      return (await started()).length === 0 ? true : undefined;
    });
    expect(killed.size).toBeGreaterThan(0);
    expect(bot.stdout()).toMatch(/the embedded store process \(pid \d+\) stopped \(SIGKILL\)/);
    await until('the store to be served again', () => (/embedded store restarted and serving/.test(bot.stdout().split(/stopped \(SIGKILL\)/).at(-1) ?? '') ? true : undefined));

    // Recovery (the bot's watchdog, every second) closes what the deploy could not record.
    const rows = await until('deploy #2 to be closed in the record', async () => {
      const list = await history();
      const two = list.find((row) => row.id === 2);
      return two && !InFlightStatuses.includes(two.status as never) ? list : undefined;
    });
    expect(rows.find((row) => row.id === 2)?.status).toMatch(/^(failed|interrupted)$/);
    expect(rows.find((row) => row.id === 1)?.status).toBe('succeeded');
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(seen.bodies.get('v2') ?? 0).toBe(0);

    // The bot answers from the restarted store.
    const before = slack.posts.length;
    expect((await command('/deploys', APP)).status).toBe(200);
    const listed = await until('the /deploys answer', () => slack.posts.slice(before).find((post) => post.body.includes('#2')));
    expect(listed.body).toContain('#1');
  });

  it('kill -9 of the bot: its store process stops and frees the store, and a CLI then opens it', { timeout: 120_000 }, async () => {
    const store = storePid(bot.pid);
    expect(store).toBeDefined();
    bot.kill('SIGKILL');
    await bot.exited;
    // The store process sees its IPC channel close and stops (no client is connected, so it does not linger).
    await until('the store process to stop', () => (running(store!) ? undefined : true), 15_000);
    expect(existsSync(`${dataDir}/db.lock`)).toBe(false);
    const rows = await history();
    expect(rows.map((row) => row.id)).toEqual([2, 1]);
    expect(existsSync(`${dataDir}/db.lock`)).toBe(false);
  });
});
