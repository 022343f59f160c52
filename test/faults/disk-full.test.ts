import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren, startNode } from '../helpers/child-lines.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { dockerSocket, haveDocker } from '../helpers/infra.js';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js';
import { freePort } from '../helpers/ports.js';
import { startSlackStandIn } from '../helpers/slack-standin.js';

const work = mkdtempSync(join(tmpdir(), 'f-disk-full-'));
const disk = join(work, 'disk');
mkdirSync(disk);
const enabled = (await haveDocker()) && mountTmpfs(disk, '128m');
const app = `f-disk-full-${process.pid}`;

/**
 * The disk under deckhand's data dir (the embedded store) is full, as at 3 a.m. when logs or images filled it. Real
 * CLI processes, a real tmpfs filled to the last byte, real Docker and git. Every command refuses with `disk_full`,
 * names the directory and says what to do (it was "internal: ENOSPC: no space left on device, write"); nothing
 * changes (no container started or stopped, no row, no temp file left); a request loop sees the serving version
 * throughout. Once space is freed, the record is whole and a rollback works.
 */
describe.skipIf(!enabled)('a full disk under the embedded store', () => {
  let repo: TestRepo;
  let port: number;
  let env: Record<string, string>;
  const dataDir = join(disk, 'data');
  const filler = join(disk, 'filler');

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    port = await freePort();
    writeFileSync(join(work, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { git: ${repo.url}, branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 30s, watch: 0 }\n`);
    env = { PATH: process.env.PATH!, HOME: work, DATABASE_URL: '', DECKHAND_DATA_DIR: dataDir, DECKHAND_CONFIG: join(work, 'deckhand.yml'), DOCKER_SOCKET: dockerSocket, DECKHAND_DRAIN: '200ms', DECKHAND_PROXY: 'none' };
  });

  afterAll(async () => {
    await killAllChildren();
    await removeAppArtifacts([app]).catch(() => undefined);
    repo?.cleanup();
    if (enabled) execFileSync('umount', ['-l', disk]);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  const cli = (args: string[]) => runCliProcess(args, env);
  const containers = async () => (await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${app}`] } })).map((c) => ({ deployment: c.Labels['deckhand.deployment'], state: c.State }));

  it('every command refuses with disk_full and says where; nothing changes; once space is freed, all works', async () => {
    for (const commit of repo.commits) expect((await cli(['deploy', app, commit])).code).toBe(0);
    const before = await containers();
    expect(before.filter((c) => c.state === 'running').map((c) => c.deployment)).toEqual(['2']);

    fillDisk(filler);
    expect(execFileSync('df', ['--output=avail', '-k', disk]).toString().split('\n')[1]!.trim()).toBe('0');

    const loop = requestLoop(port, { maxMs: 60_000 });
    const refusals = [await cli(['rollback', app, '1', '--yes']), await cli(['deploys', app]), await cli(['deploy', app, repo.commits[0]!])];
    // Status says the same, then what runs, read from Docker (the store cannot even be opened).
    const status = await cli(['status', app]);
    const seen = await loop.stop();
    expect(status.code, status.output).toBe(1);
    expect(status.output).toContain(`deckhand: disk_full: The disk is full: no space left on device writing in ${dataDir}.`);
    expect(status.stdout).toContain(`\n${app}: healthy\n  serving:     #2 deckhand-${app}-2 (running, port ${port})\n`);
    for (const refused of refusals) {
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output).toContain(`deckhand: disk_full: The disk is full: no space left on device writing in ${dataDir}. Free space on that disk (\`df -h ${dataDir}\``);
    }
    expect(seen.failures).toEqual([]);
    expect([...seen.bodies.keys()]).toEqual(['v2']);
    expect(await containers()).toEqual(before);
    expect(readdirSync(dataDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    rmSync(filler);
    const listed = await cli(['deploys', app, '--json']);
    expect(listed.code, listed.output).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: number }>).map((d) => d.id)).toEqual([2, 1]);
    const back = await cli(['rollback', app, '1', '--yes']);
    expect(back.code, back.output).toBe(0);
    expect((await get(port, '/')).body.trim()).toBe('v1');
  }, 180_000);

  it('filling up under a running bot: a rollback that served says so first, whatever it could not write after', async () => {
    const botData = join(disk, 'bot-data');
    const botEnv = { ...env, DECKHAND_DATA_DIR: botData, DECKHAND_CLI_BOT_WAIT_MS: '10000' };
    const slack = await startSlackStandIn();
    const bot = startNode('src/main.ts', [], { ...botEnv, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'x', SLACK_API_URL: slack.apiUrl, PORT: String(await freePort()) });
    try {
      await bot.waitFor((line) => String(line.text ?? '').includes('listening on'), 90_000);
      const delegated = (args: string[]) => runCliProcess(args, botEnv);
      const deployed: number[] = [];
      for (const commit of repo.commits) {
        const run = await delegated(['deploy', app, commit, '--json']);
        expect(run.code, run.output).toBe(0);
        deployed.push((JSON.parse(run.stdout) as { id: number }).id);
      }
      fillDisk(filler);
      const back = await delegated(['rollback', app, String(deployed[0]), '--yes']);
      const answers = (await get(port, '/')).body.trim();
      if (answers === 'v1') {
        // It rolled back: it says so, and first, whatever it could not write down afterwards (the audit row, the lock).
        if (back.code !== 0) expect(back.output).toMatch(new RegExp(`deckhand: disk_full: #\\d+ serves ${app}, but deckhand could not [^:]+: The disk is full`));
      } else {
        expect(answers).toBe('v2');
        expect(back.code, back.output).toBe(1);
        expect(back.output).toContain('disk_full');
        expect(back.output).not.toMatch(/ serves .*, but deckhand could not/);
      }
      rmSync(filler);
      const listed = await delegated(['deploys', app, '--json']);
      expect(listed.code, listed.output).toBe(0);
      const newest = (JSON.parse(listed.stdout) as Array<{ status: string; commit: string }>).find((d) => d.status === 'succeeded');
      expect(newest?.commit).toBe(answers === 'v1' ? repo.commits[0] : repo.commits[1]);
    } finally {
      bot.kill('SIGTERM');
      await bot.exited;
      await slack.stop();
    }
  }, 240_000);
});
