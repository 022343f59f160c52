import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { capture, dockerfileWithStep, gitArchivesUnder } from '../helpers/fault-probes.js';
import { APP_DOCKERFILE } from '../helpers/git-repo.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useOwnEngineApp } from '../helpers/own-engine-app.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** Item 4: Docker stopped, gone mid-build or hung gives `docker_unavailable`; no command hangs, no git child is left. */
describe.skipIf(!enabled)('Docker down or restarting', () => {
  const app = `f-docker-down-${process.pid}`;
  const h = useOwnEngineApp({
    app,
    versions: [{ body: 'v1' }, { body: 'v1b' }],
    // Tight enough for the hung-engine test to be quick, loose enough for a busy CI machine: a build is watched by
    // pinging with half the bound as the limit, and at 1s a ping slower than 500 ms under load once failed a setup
    // deploy here as docker_unavailable.
    env: { DECKHAND_DOCKER_TIMEOUT: '3s' },
  });
  let slowCommit: string;
  beforeAll(() => {
    slowCommit = h.repo.commit({ body: 'slow', files: { Dockerfile: dockerfileWithStep('echo slow-step-$((40+2)); /bin/busybox sleep 120') } });
  });

  it('fails a deploy with docker_unavailable when Docker is stopped, and leaves no git archive behind', async () => {
    await h.engine.stop();
    try {
      const run = capture();
      expect(await runCli(['deploy', app, '--actor', 'U-ops'], { io: run.io, services: h.services })).toBe(1);
      expect(run.err.at(-1)).toMatch(new RegExp(`^deckhand: docker_unavailable: deploy #\\d+ failed: Docker is not reachable at ${h.engine.socket}`));
      const [row] = await h.services.store.list(app, 1);
      expect(row).toMatchObject({ status: 'failed', errorCode: 'docker_unavailable' });
      expect(row!.finishedAt).not.toBeNull();
      expect(gitArchivesUnder(h.services.dataDir)).toEqual([]);
    } finally {
      await h.engine.start();
    }
  });

  it('rollback plans and prune answer docker_unavailable too, and change nothing', async () => {
    const v1 = await h.services.deploys.deploy({ app, ref: h.repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    const v2 = await h.services.deploys.deploy({ app, ref: h.repo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
    expect([v1.status, v2.status], `${v1.errorCode}: ${v1.error} / ${v2.errorCode}: ${v2.error}`).toEqual(['succeeded', 'succeeded']);
    const before = await h.services.store.list(app, 50);
    await h.engine.stop();
    try {
      for (const argv of [['plan-rollback', app, String(v1.id)], ['rollback', app, String(v1.id), '--yes'], ['prune', '--app', app, '--dry-run']]) {
        const run = capture();
        expect(await runCli(argv, { io: run.io, services: h.services }), argv.join(' ')).toBe(1);
        // Commands fail with the code; prune reports it per app.
        expect([...run.out, ...run.err].join('\n'), argv.join(' ')).toMatch(/(deckhand: )?docker_unavailable: Docker is not reachable/);
      }
    } finally {
      await h.engine.start();
    }
    const after = await h.services.store.list(app, 50);
    // A rollback may record its own failed attempt; nothing that existed changed.
    expect(after.filter((d) => before.some((b) => b.id === d.id))).toEqual(before);
  });

  it('a Docker stop during the health window ends the deploy with docker_unavailable, not internal', async () => {
    const slowStart = h.repo.commit({ body: 'late', files: { Dockerfile: APP_DOCKERFILE, 'start.sh': 'sleep 30\nexec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www\n' } });
    let stopping: Promise<void> | undefined;
    const unsubscribe = h.services.bus.subscribe((event) => {
      if (event.type === 'phase' && event.phase === 'health' && !stopping) stopping = h.engine.stop();
    });
    try {
      const deployment = await h.services.deploys.deploy({ app, ref: slowStart, actor: 'U-ops', trigger: 'cli' });
      expect(stopping).toBeDefined();
      expect(deployment, `${deployment.errorCode}: ${deployment.error}`).toMatchObject({ status: 'failed', errorCode: 'docker_unavailable' });
      expect(deployment.error).toMatch(/^Docker is not reachable at /);
    } finally {
      unsubscribe();
      await stopping;
      await h.engine.start();
    }
  });

  it('fails with docker_unavailable within the bound when Docker hangs (SIGSTOP), instead of waiting forever', async () => {
    const pid = h.engine.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const run = capture();
      expect(await runCli(['deploy', app, '--actor', 'U-ops'], { io: run.io, services: h.services })).toBe(1);
      expect(run.err.at(-1)).toMatch(/^deckhand: docker_unavailable: deploy #\d+ failed: Docker (at \S+ did not answer within 3s|is not reachable)/);
      const [row] = await h.services.store.list(app, 1);
      expect(row).toMatchObject({ status: 'failed', errorCode: 'docker_unavailable' });
      expect(gitArchivesUnder(h.services.dataDir)).toEqual([]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('a CLI whose Docker stops mid-build exits with docker_unavailable, its deploy closed as failed, no git left', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-cli-'));
    const config = join(dataDir, 'deckhand.yml');
    writeFileSync(config, `apps:\n  ${app}:\n    source:\n      git: ${h.repo.url}\n      branch: main\n    run:\n      port: ${h.port}\n      health: /healthz\n`);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: h.services.testDb.url,
      DECKHAND_CONFIG: config,
      DECKHAND_DATA_DIR: dataDir,
      DOCKER_SOCKET: h.engine.socket,
      DECKHAND_DOCKER_TIMEOUT: '2s',
      DECKHAND_PROXY: 'none',
    };
    const cli = spawn(process.execPath, ['--import', 'tsx', 'src/main-cli.ts', 'deploy', app, slowCommit, '--actor', 'U-ops'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    try {
      // The build is inside its slow step, streaming the context from `git archive`: now Docker goes away.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the build never reached its slow step:\n${stdout}\n${stderr}`)), 45_000);
        const check = () => stdout.includes('slow-step-42') && (clearTimeout(timer), resolve());
        cli.stdout.on('data', check);
        void exited.then(() => reject(new Error(`the CLI exited early:\n${stdout}\n${stderr}`)));
      });
      await h.engine.stop();
      const bounded = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
      expect(bounded, `the CLI did not exit:\n${stdout}\n${stderr}`).toBe(1);
      expect(stderr.trim().split('\n').at(-1)).toMatch(/^deckhand: docker_unavailable: deploy #\d+ failed: Docker/);
      const [row] = await h.services.store.list(app, 1);
      expect(row).toMatchObject({ status: 'failed', errorCode: 'docker_unavailable', commitSha: slowCommit });
      expect(gitArchivesUnder(dataDir)).toEqual([]);
    } finally {
      cli.kill('SIGKILL');
      for (const pid of gitArchivesUnder(dataDir)) process.kill(pid, 'SIGKILL');
      await h.engine.start();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
