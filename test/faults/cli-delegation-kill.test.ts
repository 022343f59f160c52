import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, startBotProcess } from '../helpers/bot-process.js';
import { killAllChildren } from '../helpers/child-lines.js';
import { delegationEnv, runCliProcess, startCli } from '../helpers/cli-process.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';

const enabled = await haveDocker();
/** A version that takes seconds before it answers: its health phase is long enough to act in. */
const SLOW_START = 'sleep 6\nexec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www\n';

describe.skipIf(!enabled)('a delegated command when the CLI is interrupted or the bot dies (real processes, embedded store)', () => {
  const app = `f-dlgk-${process.pid}`;
  let repo: TestRepo;
  let work: string;
  let port: number;
  let bot: BotProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'dlgk v1' }, { body: 'dlgk slow', files: { 'start.sh': SLOW_START } }]);
    work = mkdtempSync(join(tmpdir(), 'f-dlgk-'));
    port = await freePort();
    writeFileSync(join(work, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { git: ${repo.url}, branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 60s, watch: 0 }\n`);
    env = delegationEnv(work);
    bot = await startBotProcess(env);
    const first = await runCliProcess(['deploy', app, repo.commits[0]!], env);
    expect(first.code, first.output).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await bot?.stop();
    await killAllChildren();
    if (enabled) await removeAppArtifacts([app]);
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const deploys = async () => JSON.parse((await runCliProcess(['deploys', app, '--json'], env)).output) as Array<{ id: number; status: string; errorCode: string | null }>;

  it('Ctrl-C on the CLI asks the bot to abort the deploy it runs for it: cancelled, audited as the CLI user, exit 130', { timeout: 180_000 }, async () => {
    const cli = startCli(['deploy', app, repo.commits[1]!], env);
    await cli.waitFor(/\[start\] Starting container/, 120_000);
    cli.child.kill('SIGINT');
    expect(await cli.exited, cli.output()).toBe(130);
    expect(cli.output()).toContain('asked the bot to stop this command');
    expect(cli.output()).toMatch(/\[result\] cancelled/);
    const [newest] = await deploys();
    expect(newest).toMatchObject({ status: 'cancelled', errorCode: 'cancelled' });
    const audit = JSON.parse((await runCliProcess(['audit', app, '--json', '--limit', '5'], env)).output) as Array<{ actor: string; action: string; deploymentId: number }>;
    expect(audit.find((row) => row.action === 'deploy.abort')).toMatchObject({ actor: `cli:${userInfo().username}`, deploymentId: newest!.id });
  });

  it('the bot killed (kill -9) mid-command: the CLI says so and exits 1; a local status then shows the truth, and recover closes the deploy', { timeout: 240_000 }, async () => {
    const cli = startCli(['deploy', app, repo.commits[1]!], env);
    await cli.waitFor(/\[start\] Starting container/, 120_000);
    const running = (await deploys())[0]!;
    expect(running.status).toMatch(/starting|switching/);
    bot.child.kill('SIGKILL');
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain(`deckhand: the bot stopped answering; the command may still be running: see deckhand status ${app}`);

    // The container the bot had asked Docker to start (if the kill came after that call) goes on without the bot and
    // answers once its start script's 6 s sleep is over: wait for that (at most 15 s), so that status and the probe
    // below see the same world.
    const answering = () => get(port).then((r) => r.status >= 200 && r.status < 300, () => false);
    for (const until = Date.now() + 15_000; Date.now() < until && !(await answering()); ) await new Promise((resolve) => setTimeout(resolve, 250));
    // No bot now (its socket file is left behind, nobody listens): the CLI runs status itself, on the store the dead bot owned.
    const status = await runCliProcess(['status', app, '--json'], env);
    const shown = JSON.parse(status.output.slice(status.output.indexOf('{'))) as { health: { state: string }; inProgress: Array<{ id: number }> };
    expect(shown.inProgress.map((d) => d.id)).toEqual([running.id]);
    const answers = await answering();
    expect(shown.health.state === 'healthy').toBe(answers);
    expect(status.code).toBe(answers ? 0 : 1);

    const recovered = await runCliProcess(['recover', app], env);
    expect(recovered.code, recovered.output).toBe(0);
    const after = (await deploys()).find((d) => d.id === running.id)!;
    expect(['succeeded', 'interrupted']).toContain(after.status);

    // A new bot replaces the dead one's socket and takes the CLI's commands again.
    bot = await startBotProcess(env);
    const listed = await runCliProcess(['deploys', app], env);
    expect(listed.code, listed.output).toBe(0);
    expect(bot.child.lines.some((line) => String(line.text ?? '').includes(`runs "deploys ${app}" through the bot`))).toBe(true);
  });
});
