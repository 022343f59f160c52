import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren, startNode } from '../helpers/child-lines.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { dockerSocket, haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { postToBolt, sign, slashCommand } from '../helpers/slack-requests.js';
import { startSlackStandIn } from '../helpers/slack-standin.js';

const enabled = await haveDocker();
const APPS = ['f-store-twin', 'f-store-bot', 'f-store-kill'];

interface Run {
  code: number | string;
  stdout: string;
  stderr: string;
}

describe.skipIf(!enabled)('the embedded store has one owner: real CLI and bot processes', () => {
  let repo: TestRepo;
  let work: string;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'store v1' }]);
    work = mkdtempSync(join(tmpdir(), 'f-store-cli-'));
    for (const app of APPS) ports[app] = await freePort();
    const yml = APPS.map((app) => `  ${app}:\n    source: { git: ${repo.url}, branch: main }\n    run: { port: ${ports[app]}, health: /healthz, healthTimeout: 30s, watch: 0 }\n`).join('');
    writeFileSync(join(work, 'deckhand.yml'), `apps:\n${yml}`);
  });

  afterEach(killAllChildren);

  afterAll(async () => {
    await killAllChildren();
    if (enabled) await removeAppArtifacts(APPS);
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The environment of a deckhand process: no DATABASE_URL, so the embedded store in `dataDir` is used. */
  const envFor = (dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: work,
    DECKHAND_DATA_DIR: dataDir,
    DECKHAND_CONFIG: join(work, 'deckhand.yml'),
    DOCKER_SOCKET: dockerSocket,
    DECKHAND_DRAIN: '200ms',
    DECKHAND_PROXY: 'none',
    ...extra,
  });

  const cli = (dataDir: string, args: string[], extra: Record<string, string> = {}) => startNode('src/main-cli.ts', args, envFor(dataDir, extra));

  async function finish(child: ReturnType<typeof cli>): Promise<Run> {
    const code = await Promise.race([child.exited, new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 150_000))]);
    child.kill('SIGKILL');
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  async function history(dataDir: string, app: string): Promise<Array<{ id: number; status: string }>> {
    const run = await finish(cli(dataDir, ['deploys', app, '--json']));
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
  }

  it('two CLIs deploying at once against a fresh data dir: exactly one deploy runs, the other is refused', { timeout: 240_000 }, async () => {
    const dataDir = join(work, 'twin');
    const runs = await Promise.all([0, 1].map(() => finish(cli(dataDir, ['deploy', 'f-store-twin', '--json']))));
    const winners = runs.filter((run) => run.code === 0);
    const losers = runs.filter((run) => run.code !== 0);
    expect(winners, JSON.stringify(runs)).toHaveLength(1);
    expect(losers[0]!.code).toBe(1);
    expect(losers[0]!.stderr).toMatch(/deckhand: deploy_in_progress: /);
    expect((await get(ports['f-store-twin']!)).body).toBe('store v1');

    const rows = await history(dataDir, 'f-store-twin');
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    expect(rows.filter((row) => row.status === 'succeeded')).toHaveLength(1);
    expect(rows.every((row) => ['succeeded', 'failed'].includes(row.status))).toBe(true);
    // Everyone closed: no owner is left behind.
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
  });

  it('a CLI deploy while the bot runs goes through the bot, and the bot then lists that deploy', { timeout: 240_000 }, async () => {
    const dataDir = join(work, 'bot');
    const slack = await startSlackStandIn();
    const port = await freePort();
    const bot = startNode('src/main.ts', [], envFor(dataDir, { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'x', SLACK_API_URL: slack.apiUrl, PORT: String(port) }));
    try {
      await bot.waitFor((line) => String(line.text ?? '').includes('listening on'), 90_000);
      const run = await finish(cli(dataDir, ['deploy', 'f-store-bot', '--json']));
      expect(run.code, run.stderr).toBe(0);
      const { id } = JSON.parse(run.stdout) as { id: number };

      const body = slashCommand('/deploys', 'f-store-bot').replace(encodeURIComponent('https://hooks.slack.test'), encodeURIComponent(slack.hooksUrl));
      const response = await postToBolt(`http://127.0.0.1:${port}`, body, sign(body, undefined, 'x'));
      expect(response.status).toBe(200);
      for (let i = 0; i < 300 && slack.posts.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(slack.posts[0]?.body).toContain(`#${id}`);
    } finally {
      bot.kill('SIGTERM');
      await bot.exited;
      await slack.stop();
    }
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
  });

  it('kill -9 of the owner mid-deploy: the next process takes over and the store is intact', { timeout: 240_000 }, async () => {
    const dataDir = join(work, 'kill');
    const lease = { DECKHAND_LOCK_LEASE: '2s' };
    const first = await finish(cli(dataDir, ['deploy', 'f-store-kill', '--json'], lease));
    expect(first.code, first.stderr).toBe(0);

    const doomed = cli(dataDir, ['deploy', 'f-store-kill', '--json'], lease);
    for (let i = 0; i < 3000 && !/\[(build|start)/.test(doomed.stderr()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(doomed.stderr()).toMatch(/\[(build|start)/);
    doomed.kill('SIGKILL');
    await doomed.exited;
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(true);

    const after = await history(dataDir, 'f-store-kill');
    expect(after).toHaveLength(2);
    expect(after.find((row) => row.status === 'succeeded')).toBeDefined();
    // The store still takes writes: a new deploy succeeds (once the killed deploy's 2 s lease ran out).
    let next: Run;
    for (let i = 0; ; i++) {
      next = await finish(cli(dataDir, ['deploy', 'f-store-kill', '--json'], lease));
      if (next.code === 0 || i === 10 || !next.stderr.includes('deploy_in_progress')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(next.code, next.stderr).toBe(0);
    const rows = await history(dataDir, 'f-store-kill');
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((row) => row.id)).size).toBe(3);
    expect((await get(ports['f-store-kill']!)).body).toBe('store v1');
  });
});
