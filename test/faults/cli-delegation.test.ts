import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOf, controlSocketPath, engineOf, sha256 } from '../../src/cli/control-protocol.js';
import { type BotProcess, startBotProcess } from '../helpers/bot-process.js';
import { killAllChildren } from '../helpers/child-lines.js';
import { delegationEnv, runCliProcess, startCli } from '../helpers/cli-process.js';
import { type ControlLine, controlConnection } from '../helpers/control-socket.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { inTerminal } from '../helpers/terminal.js';

const enabled = await haveDocker();
const HOOK = fileURLToPath(new URL('../helpers/import-log/register.mjs', import.meta.url));
/** What a CLI that runs a command itself loads; a delegated one loads none of it. */
const ENGINE = ['@electric-sql/pglite', 'postgres', 'drizzle-orm', 'dockerode', 'yaml', 'zod'];
const SECRET = 'dlg-s3cret-token-value';

describe.skipIf(!enabled)('the CLI hands its command to a running bot (embedded store, real bot and CLI processes)', () => {
  const app = `f-dlg-${process.pid}`;
  const broken = `f-dlgb-${process.pid}`;
  let repo: TestRepo;
  let brokenRepo: TestRepo;
  let work: string;
  let port: number;
  let bot: BotProcess;
  let env: Record<string, string>;
  let runs = 0;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'dlg v1' }, { body: 'dlg v2' }]);
    work = mkdtempSync(join(tmpdir(), 'f-dlg-'));
    brokenRepo = createTestRepo([{ body: 'never healthy', healthy: false }]);
    port = await freePort();
    const brokenApp = `  ${broken}:\n    source: { git: ${brokenRepo.url}, branch: main }\n    run: { port: ${await freePort()}, health: /healthz, healthTimeout: 3s, watch: 0, env: { API_TOKEN: "${SECRET}" } }\n`;
    writeFileSync(join(work, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { git: ${repo.url}, branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 30s, watch: 0 }\n${brokenApp}`);
    env = delegationEnv(work);
    bot = await startBotProcess(env);
    for (const commit of repo.commits) {
      const deployed = await runCliProcess(['deploy', app, commit], env);
      expect(deployed.code, deployed.output).toBe(0);
    }
  }, 240_000);

  afterAll(async () => {
    await bot?.stop();
    await killAllChildren();
    if (enabled) await removeAppArtifacts([app, broken]);
    repo?.cleanup();
    brokenRepo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The CLI under the import-log hook: which modules it loaded says where the command ran. */
  async function cli(args: string[], extra: Record<string, string> = {}) {
    const log = join(work, `imports-${++runs}.log`);
    writeFileSync(log, '');
    const result = await runCliProcess(args, { ...env, DECKHAND_IMPORT_LOG: log, ...extra }, { nodeArgs: ['--import', HOOK] });
    const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const ranHere = urls.some((url) => url.endsWith('/src/cli.ts'));
    const engine = ENGINE.filter((pkg) => urls.some((url) => url.includes(`/node_modules/${pkg}/`)));
    return { ...result, ranHere, engine, urls };
  }

  const deploys = async () => {
    const listed = await cli(['deploys', app, '--json']);
    expect(listed.code, listed.output).toBe(0);
    return JSON.parse(listed.output) as Array<{ id: number; status: string; actor: string; rollbackOf: number | null; rollbackSource: string | null }>;
  };
  /** Output with durations, image ids and numbers masked, health attempts dropped (their number varies run to run). */
  const shape = (output: string) =>
    output
      .split('\n')
      .filter((line) => line && !line.includes('[health]'))
      .map((line) => line.replace(/\d+(\.\d+)? (ms|s|min)\b/g, 'D').replace(/\b[0-9a-f]{7,64}\b/g, 'H').replace(/\d+/g, 'N'));

  it('serves its control socket in the data dir, mode 0600, owned by the bot user', () => {
    const stat = lstatSync(controlSocketPath(env.DECKHAND_DATA_DIR!));
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(stat.uid).toBe(process.getuid!());
  });

  it('rollback --yes through the real CLI is run by the bot: the CLI loads no engine, the actor is the CLI user, output and exit code as a local run', { timeout: 120_000 }, async () => {
    const delegated = await cli(['rollback', app, '1', '--yes']);
    expect(delegated.code, delegated.output).toBe(0);
    // The CLI process never opened PGlite or the store socket, nor loaded Docker, git or the command modules.
    expect(delegated.ranHere).toBe(false);
    expect(delegated.engine).toEqual([]);
    expect(delegated.urls.some((url) => url.endsWith('/src/cli/control-client.ts'))).toBe(true);
    expect(delegated.output).toMatch(new RegExp(`Rolled ${app} back to #1 as #3 \\(reuse_image\\)`));
    expect((await get(port)).body).toBe('dlg v1');
    const [newest] = await deploys();
    expect(newest).toMatchObject({ id: 3, status: 'succeeded', actor: `cli:${userInfo().username}`, rollbackOf: 1, rollbackSource: 'reuse_image' });

    // --local: the same command in the CLI process itself (through the bot's store socket), same words, same code.
    const local = await cli(['rollback', app, '2', '--yes', '--local']);
    expect(local.code, local.output).toBe(0);
    expect(local.ranHere).toBe(true);
    expect(local.engine).toEqual(expect.arrayContaining(['postgres', 'dockerode']));
    expect(local.engine).not.toContain('@electric-sql/pglite');
    expect((await get(port)).body).toBe('dlg v2');
    expect(shape(local.output)).toEqual(shape(delegated.output));
    // A refusal is the same too: the same error line and exit code, whoever runs it.
    const [refusedThere, refusedHere] = [await cli(['rollback', app, '4', '--yes']), await cli(['rollback', app, '4', '--yes'], { DECKHAND_CLI_LOCAL: '1' })];
    expect(refusedThere.ranHere).toBe(false);
    expect(refusedHere.ranHere).toBe(true);
    expect([refusedThere.code, refusedThere.output]).toEqual([refusedHere.code, refusedHere.output]);
    expect(refusedThere.output).toMatch(/already_current/);
  });

  it("a failing deploy streams back the app's log with its env values starred, as a local run prints it", { timeout: 120_000 }, async () => {
    const there = await cli(['deploy', broken]);
    const here = await cli(['deploy', broken, '--local']);
    expect([there.ranHere, here.ranHere]).toEqual([false, true]);
    for (const run of [there, here]) {
      expect(run.code, run.output).toBe(1);
      expect(run.output).toContain('using token ***');
      expect(run.output).not.toContain(SECRET);
    }
    const last = (output: string) => shape(output).at(-1);
    expect(last(there.output)).toMatch(/^deckhand: health_check_failed: deploy #N failed/);
    expect(last(there.output)).toBe(last(here.output));
  });

  it('another apps file, or another engine setting, runs locally; help never asks the bot', { timeout: 120_000 }, async () => {
    const copy = join(work, 'copy.yml');
    writeFileSync(copy, `${readFileSync(env.DECKHAND_CONFIG!, 'utf8')}# edited after the bot started\n`);
    const there = await cli(['deploys', app, '--json']);
    const otherFile = await cli(['deploys', app, '--json', '--config', copy]);
    const otherEnv = await cli(['deploys', app, '--json'], { DECKHAND_DRAIN: '1s' });
    expect([there.ranHere, otherFile.ranHere, otherEnv.ranHere]).toEqual([false, true, true]);
    expect(otherFile.output).toBe(there.output);
    expect(otherEnv.output).toBe(there.output);
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    expect(help.ranHere).toBe(true);
    expect(help.urls.some((url) => url.includes('/node_modules/'))).toBe(false);
  });

  it('the confirmation is asked on the CLI terminal: no leaves everything as it was, yes rolls back; no terminal refuses as locally', { timeout: 120_000 }, async () => {
    const before = await deploys();
    for (const answer of ['n', 'y']) {
      const log = join(work, `imports-tty-${answer}.log`);
      writeFileSync(log, '');
      const run = startCli(['rollback', app, '1'], { ...env, DECKHAND_IMPORT_LOG: log }, { nodeArgs: ['--import', HOOK], stdin: true, wrap: inTerminal });
      await run.waitFor(/\[y\/N\] /);
      run.child.stdin!.write(`${answer}\r`);
      const code = await run.exited;
      expect(readFileSync(log, 'utf8')).not.toContain('/src/cli.ts');
      if (answer === 'n') {
        expect(code, run.output()).toBe(1);
        expect(run.output()).toContain('Rollback cancelled; nothing changed.');
        expect(await deploys()).toEqual(before);
        expect((await get(port)).body).toBe('dlg v2');
      } else {
        expect(code, run.output()).toBe(0);
        expect(run.output()).toMatch(new RegExp(`Rolled ${app} back to #1 as #\\d+ \\(reuse_image\\)`));
        const [newest] = await deploys();
        expect(newest).toMatchObject({ status: 'succeeded', rollbackOf: 1 });
        expect(newest!.id).toBeGreaterThan(before[0]!.id);
        expect((await get(port)).body).toBe('dlg v1');
      }
    }
    // No terminal and no --yes: refused before anything runs, delegated or not, in the same words.
    const count = (await deploys()).length;
    const [there, here] = [await cli(['rollback', app, '2']), await cli(['rollback', app, '2', '--local'])];
    expect(there.ranHere).toBe(false);
    expect(there.code).toBe(2);
    expect([there.code, there.output]).toEqual([here.code, here.output]);
    expect(there.output).toContain('Nobody to confirm (no terminal)');
    expect(await deploys()).toHaveLength(count);
  });

  describe('the socket itself', () => {
    const identity = () => ({ configPath: env.DECKHAND_CONFIG!, configHash: sha256(readFileSync(env.DECKHAND_CONFIG!)), engine: engineOf(env), build: buildOf() });
    const request = (argv: string[], extra: Record<string, unknown> = {}) => ({ type: 'run', version: 1, argv, actor: 'cli:alice', ...identity(), json: argv.includes('--json'), tty: false, ...extra });
    const lockOf = async () => ((await cli(['lock', 'status'])).output.includes(app) ? 'locked' : 'free');

    // The rollbacks above left the app locked ("rolled back from …").
    beforeAll(async () => {
      expect((await cli(['unlock', app])).code).toBe(0);
    }, 60_000);

    it('a malformed request gets an error line and runs nothing', { timeout: 60_000 }, async () => {
      const path = controlSocketPath(env.DECKHAND_DATA_DIR!);
      const cases: Array<[string, RegExp]> = [
        ['this is not json', /not JSON/],
        [JSON.stringify(request(['lock', app, '-m', 'x'], { sneaky: true })), /unknown field\(s\): "sneaky"/],
        [JSON.stringify(request(['lock', app, '-m', 'x'], { actor: 'a\nb' })), /actor must be/],
        [JSON.stringify(request(['lock', app, '-m', 'x'], { configPath: 'deckhand.yml' })), /configPath must be an absolute path/],
        [JSON.stringify({ ...request(['lock', app, '-m', 'x']), argv: 'lock' }), /argv must be an array/],
      ];
      for (const [line, problem] of cases) {
        const connection = await controlConnection(path);
        connection.send(line);
        const answers: ControlLine[] = await connection.untilClosed();
        expect(answers, line).toEqual([expect.objectContaining({ type: 'error', message: expect.stringMatching(problem) })]);
        expect(answers[0]!.message).toContain('nothing was run');
      }
      expect(await lockOf()).toBe('free');
    });

    it('a command accepted but never given its go does not run; with go it runs as the actor the CLI named', { timeout: 60_000 }, async () => {
      const path = controlSocketPath(env.DECKHAND_DATA_DIR!);
      const abandoned = await controlConnection(path);
      abandoned.send(JSON.stringify(request(['lock', app, '-m', 'never'])));
      expect(await abandoned.next()).toMatchObject({ type: 'accepted', command: 'lock', app });
      abandoned.close();
      expect(await lockOf()).toBe('free');

      const refused = await controlConnection(path);
      refused.send(JSON.stringify(request(['lock', app, '-m', 'x'], { configHash: '0'.repeat(64) })));
      expect(await refused.untilClosed()).toEqual([{ type: 'refused', reason: 'config' }]);

      const go = await controlConnection(path);
      go.send(JSON.stringify(request(['lock', app, '-m', 'by the socket'])));
      expect(await go.next()).toMatchObject({ type: 'accepted' });
      go.send(JSON.stringify({ type: 'go' }));
      expect((await go.untilClosed()).at(-1)).toEqual({ type: 'exit', code: 0 });
      const audit = JSON.parse((await cli(['audit', app, '--json', '--limit', '1'])).output) as Array<{ actor: string; action: string }>;
      expect(audit[0]).toMatchObject({ actor: 'cli:alice', action: 'app.lock' });
      expect((await cli(['unlock', app])).code).toBe(0);
    });
  });
});
