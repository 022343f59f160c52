import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Services, createServices } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import { createWatchdog } from '../../src/jobs/watchdog.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { createScratchDatabase } from '../helpers/db.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { type OwnDockerd, startOwnDockerd } from '../helpers/own-dockerd.js';
import { freePort } from '../helpers/ports.js';
import { gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** SIGKILLs the engine and returns only once it is dead (or a zombie): the fault lands exactly where it is called. */
function crashEngineNow(engine: OwnDockerd): void {
  const pid = Number(readFileSync(join(engine.root, 'd.pid'), 'utf8').trim());
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  for (;;) {
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
    } catch {
      // reaped
    }
    if (state === 'gone' || state === 'Z' || Date.now() > deadline) return;
  }
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A Docker engine of the test's own, crashed and restarted. Observed: after an unclean engine restart the engine
 * kills the containers it finds and does not restart them, `unless-stopped` or not. Deckhand must not record a dead
 * container as serving, and must start the serving one again by itself.
 */
describe.skipIf(!enabled)('the Docker engine crashes and comes back', () => {
  const app = `f-dkr-${process.pid}`;
  let engine: OwnDockerd;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let db: { url: string; drop(): Promise<void> };
  let services: Services;
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    engine = await startOwnDockerd();
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    caddy = await startCaddy();
    db = await createScratchDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'deckhand-dkr-'));
    port = await freePort();
    const env = loadEnv({ DATABASE_URL: db.url, DECKHAND_DATA_DIR: dataDir, DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl, DECKHAND_PUBLIC_HOST: '127.0.0.1', DECKHAND_DRAIN: '200ms' });
    services = await createServices({ env, docker: engine.docker, apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 10_000 })] });
  });

  afterAll(async () => {
    await services?.close().catch(() => undefined);
    await engine?.dispose();
    await caddy?.stop();
    await db?.drop();
    repo?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('crashing at the switch: the deploy is recorded as succeeded only with its container running and serving', async () => {
    expect((await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-a', trigger: 'cli' })).status).toBe('succeeded');
    let restarted: Promise<void> | undefined;
    const unsubscribe = services.bus.subscribe((event) => {
      if (event.type !== 'switch' || restarted) return;
      crashEngineNow(engine);
      // kill() on the dead engine only waits until its exit is known, so start() really starts a new one.
      restarted = new Promise((r) => setTimeout(r, 1000)).then(() => engine.kill()).then(() => engine.start());
    });
    const phases: string[] = [];
    const unwatch = services.bus.subscribe((event) => {
      if (event.type === 'phase') phases.push(event.message);
    });
    const d2 = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-a', trigger: 'cli' });
    unsubscribe();
    unwatch();
    // The fault landed: the engine killed the new container on its way back, and the pipeline started it again.
    expect(phases).toContain('The new container stopped right after traffic moved: starting it again');
    await restarted;
    expect(d2.status).toBe('succeeded');
    expect(await services.runtime.inspectContainer(d2.containerId!)).toMatchObject({ running: true, deploymentId: d2.id });
    expect(await until(async () => ((await get(port)).status === 200 ? (await get(port)).body : undefined))).toBe('v2');
  });

  it('after a crash between deploys, the watchdog starts the serving container again and reports it', { timeout: 150_000 }, async () => {
    const current = (await services.store.current(app))!;
    expect(await services.runtime.inspectContainer(current.containerId!)).toMatchObject({ running: true });
    expect(await until(async () => ((await get(port)).body === 'v2' ? true : undefined), 5000)).toBe(true);
    await engine.kill(); // SIGKILL, and wait until the engine is known to be gone
    // The shims outlive the engine: the app still answers until the engine comes back and kills its containers.
    expect(await until(async () => ((await get(port)).body === 'v2' ? true : undefined), 5000)).toBe(true);
    await engine.start();
    // The engine answers its ping before it has settled: ask until it says what became of the container. Usually it
    // killed it (exit 143) and leaves it dead; when its restore raced and the restart policy brought it back, stop it,
    // so the watchdog has the same dead serving container to find every run.
    const after = await until(() => services.runtime.inspectContainer(current.containerId!), 30_000);
    if (after.running) await services.runtime.stop(current.containerId!);
    expect(await services.runtime.inspectContainer(current.containerId!)).toMatchObject({ running: false });

    const reports: string[][] = [];
    const watchdog = createWatchdog(services, 300, async (notes) => {
      reports.push(notes);
    });
    watchdog.start();
    try {
      expect(await until(async () => ((await get(port)).body === 'v2' ? true : undefined), 45_000)).toBe(true);
      await until(async () => (reports.length > 0 ? true : undefined), 20_000);
    } finally {
      watchdog.stop();
    }
    expect(reports[0]).toContain(`${app}: deckhand-${app}-${current.id} (#${current.id}) was not running: started it again`);
    expect(await services.runtime.inspectContainer(current.containerId!)).toMatchObject({ running: true });
    const audit = await services.audit.list({ app, action: 'deploy.recover' });
    expect(audit[0]).toMatchObject({ actor: 'deckhand:watchdog', result: 'ok' });
  });
});
