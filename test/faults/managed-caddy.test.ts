import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath } from '../../src/adapters/proxy/managed-caddy.js';
import { ManagedCaddy } from '../../src/adapters/proxy/managed-caddy.js';
import { CaddyProxy, checkReusePortMigration } from '../../src/adapters/proxy/caddy-proxy.js';
import { createServer, request } from 'node:http';
import { createWatchdog } from '../../src/jobs/watchdog.js';
import { loadAppsFile } from '../../src/config/apps-file.js';
import { runCliProcess, startCli } from '../helpers/cli-process.js';
import { createScratchDatabase } from '../helpers/db.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { steadyLoad } from '../helpers/steady-load.js';
import { startNode } from '../helpers/child-lines.js';
import { fileURLToPath } from 'node:url';

const STARTER = fileURLToPath(new URL('../helpers/caddy-starter.ts', import.meta.url));

const enabled = (await haveDocker()) && (await havePostgres()) && onPath('caddy') !== undefined;

/** deckhand's own Caddy, with no operator set-up beyond `caddy` on the PATH (no DECKHAND_CADDY_ADMIN_URL). */
describe.skipIf(!enabled)("deckhand's own Caddy", () => {
  const app = `f-proxy-${process.pid}`;
  const cliApp = `f-proxy-cli-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;
  let v1: string, v2: string, v3: string;
  const extraCaddys: ManagedCaddy[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }]);
    [v1, v2, v3] = repo.commits as [string, string, string];
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 10_000 })], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '1s' } });
  });

  afterAll(async () => {
    // Every Caddy started here is ended through its pidfile, even when a test failed.
    for (const caddy of extraCaddys) caddy.stop();
    await services?.dispose();
    await removeAppArtifacts([app, cliApp]);
    repo?.cleanup();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  // `force`: a rollback locks the app, and the next forward deploy of the loop is on purpose.
  const deploy = (ref: string) => services.deploys.deploy({ app, ref, actor: 'U-alice', trigger: 'cli', force: true });

  it('ten deploy and rollback switches under 60 requests/s, half on keep-alive connections, fail no request', async () => {
    expect(await checkReusePortMigration(), 'run `sysctl -w net.ipv4.tcp_migrate_req=1` on this host (README: Traffic switch)').toEqual([]);
    expect(services.traffic.mode).toBe('proxy');
    const first = await deploy(v1);
    expect(first.status, first.error ?? '').toBe('succeeded');
    const caddy = services.managedProxy!.caddy;
    expect(existsSync(caddy.socketPath)).toBe(true);
    expect(caddy.pid()).toBeGreaterThan(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });

    const load = steadyLoad(port, { rate: 60, maxMs: 240_000 });
    let switches = 0;
    const v1Id = first.id;
    let v2Id: number | undefined;
    while (switches < 10) {
      if (switches % 2 === 0) {
        const d = await deploy(v2);
        expect(d.status, d.error ?? '').toBe('succeeded');
        v2Id = d.id;
      } else {
        const { deployment } = await services.rollbacks.rollback(app, v1Id, 'U-alice');
        expect(deployment.status, deployment.error ?? '').toBe('succeeded');
      }
      switches += 1;
    }
    // Requests that began on the last old container finish before the load stops.
    await new Promise((r) => setTimeout(r, 500));
    const rate = load.rate();
    const seen = await load.stop();
    expect(v2Id).toBeDefined();
    // A failure names itself: Caddy logs every request it could not proxy, with the upstream error.
    const caddyLog = () => readFileSync(join(services.dataDir, 'caddy', 'caddy.log'), 'utf8').split('\n').slice(-30).join('\n');
    expect(seen.failures, seen.failures.length > 0 ? caddyLog() : '').toEqual([]);
    expect(rate).toBeGreaterThanOrEqual(50);
    expect(seen.keepAlive).toBeGreaterThanOrEqual(seen.total / 2 - 1);
    expect(seen.reused).toBeGreaterThan(0);
    expect(seen.bodies.get('v1')).toBeGreaterThan(0);
    expect(seen.bodies.get('v2')).toBeGreaterThan(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
  });

  it('killed Caddy (and its autosave lost) comes back in the next watchdog pass with the route from the database', async () => {
    const caddy = services.managedProxy!.caddy;
    const before = caddy.pid()!;
    process.kill(before, 'SIGKILL');
    rmSync(join(services.dataDir, 'caddy', 'config'), { recursive: true, force: true });
    await expect(get(port, '/', 1000)).rejects.toThrow();

    const notes = await createWatchdog(services, 0, async () => undefined).checkNow();
    expect(notes[0]).toBe('Caddy was not running: started it again and restored every route');
    expect(caddy.pid()).toBeGreaterThan(0);
    expect(caddy.pid()).not.toBe(before);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
    // A second pass finds it running and has nothing to say.
    expect(await createWatchdog(services, 0, async () => undefined).checkNow()).toEqual([]);
  });

  it('concurrent starters on one data dir start exactly one Caddy; the others adopt it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-caddy-race-'));
    dirs.push(dir);
    const racers = Array.from({ length: 4 }, () => new ManagedCaddy({ dir: join(dir, 'caddy') }));
    extraCaddys.push(racers[0]!);
    const outcomes = await Promise.all(racers.map((c) => c.ensure()));
    expect(outcomes.filter((o) => o === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'adopted')).toHaveLength(3);
    expect(new Set(racers.map((c) => c.pid())).size).toBe(1);
    expect(await racers[1]!.ensure()).toBe('running');
  });

  it('a request whose upstream is not there (gone or still binding) is retried by Caddy instead of failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-caddy-retry-'));
    dirs.push(dir);
    const caddy = new ManagedCaddy({ dir: join(dir, 'caddy') });
    extraCaddys.push(caddy);
    await caddy.ensure();
    const proxy = new CaddyProxy(caddy.admin, '127.0.0.1');
    const [publicPort, upstreamPort] = [await freePort(), await freePort()];
    await proxy.point('f-proxy-retry', publicPort, upstreamPort);
    const answer = get(publicPort, '/', 10_000);
    await new Promise((r) => setTimeout(r, 400));
    const server = createServer((_req, res) => res.end('late')).listen(upstreamPort, '127.0.0.1');
    try {
      expect(await answer).toEqual({ status: 200, body: 'late' });
    } finally {
      server.close();
      caddy.stop();
    }
  });

  it('a bodyless idempotent request whose upstream dropped the connection is retried; a POST is not (it may have been acted on)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-caddy-drop-'));
    dirs.push(dir);
    const caddy = new ManagedCaddy({ dir: join(dir, 'caddy') });
    extraCaddys.push(caddy);
    await caddy.ensure();
    const proxy = new CaddyProxy(caddy.admin, '127.0.0.1');
    const [publicPort, upstreamPort] = [await freePort(), await freePort()];
    const seen: string[] = [];
    // The upstream drops the first request of each round mid-way, as a container stopping under a request would.
    const server = createServer((req, res) => {
      seen.push(req.method!);
      if (seen.length === 1) req.socket.destroy();
      else res.end('ok');
    }).listen(upstreamPort, '127.0.0.1');
    try {
      await proxy.point('f-proxy-drop', publicPort, upstreamPort);
      expect(await send(publicPort, 'OPTIONS')).toBe(200);
      expect(seen).toEqual(['OPTIONS', 'OPTIONS']);
      seen.length = 0;
      expect(await send(publicPort, 'POST')).toBe(502);
      expect(seen).toEqual(['POST']);
    } finally {
      server.close();
      caddy.stop();
    }
  });

  it('separate deckhand processes (bot and CLIs) racing to start it start exactly one Caddy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-caddy-procs-'));
    dirs.push(dir);
    extraCaddys.push(new ManagedCaddy({ dir: join(dir, 'caddy') }));
    const go = join(dir, 'go');
    const starters = Array.from({ length: 3 }, () => startNode(STARTER, [join(dir, 'caddy'), go]));
    for (const starter of starters) await starter.waitFor((line) => line.ready === true, 20_000);
    writeFileSync(go, '');
    const results = await Promise.all(starters.map((s) => s.waitFor((line) => typeof line.outcome === 'string', 30_000)));
    expect(results.map((r) => r.outcome).sort()).toEqual(['adopted', 'adopted', 'started']);
    expect(new Set(results.map((r) => r.pid)).size).toBe(1);
    await Promise.all(starters.map((s) => s.exited));
    // Caddy outlived every process that started or adopted it.
    expect(new ManagedCaddy({ dir: join(dir, 'caddy') }).pid()).toBe(results[0]!.pid);
  });

  it('kill -9 of the deckhand CLI between deploys, then starting it again, fails no request: Caddy outlives it and is adopted', async () => {
    const db = await createScratchDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-proxy-cli-'));
    dirs.push(dir);
    const cliPort = await freePort();
    // No watch window (issue 11's run.watch, where the apps file knows it): this test is about the switch and the kill.
    const yml = (watch: string) => `apps:\n  ${cliApp}:\n    source: { git: "${repo.url}", branch: main }\n    run: { port: ${cliPort}, health: /healthz, healthTimeout: 20s${watch} }\n`;
    writeFileSync(join(dir, 'deckhand.yml'), yml(', watch: 0'));
    try {
      loadAppsFile(join(dir, 'deckhand.yml'));
    } catch {
      writeFileSync(join(dir, 'deckhand.yml'), yml(''));
    }
    const env = { DATABASE_URL: db.url, DECKHAND_DATA_DIR: join(dir, 'data'), DECKHAND_CONFIG: join(dir, 'deckhand.yml'), DECKHAND_PUBLIC_HOST: '127.0.0.1', DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '1s' };
    const caddy = new ManagedCaddy({ dir: join(dir, 'data', 'caddy') });
    extraCaddys.push(caddy);
    try {
      const first = await runCliProcess(['deploy', cliApp, v1], env);
      expect(first.code, first.output).toBe(0);
      const pid = caddy.pid();
      expect(pid).toBeGreaterThan(0);
      const load = steadyLoad(cliPort, { rate: 60, maxMs: 120_000 });
      // The deckhand process that just moved traffic (and started nothing new) is killed with -9 while traffic flows.
      const cli = startCli(['deploy', cliApp, v2], env);
      await cli.waitFor(/traffic -> #/, 60_000);
      cli.child.kill('SIGKILL');
      await cli.exited;
      await new Promise((r) => setTimeout(r, 1500));
      expect(caddy.pid()).toBe(pid);
      // Started again: the next command adopts the running Caddy (same pid) and recovers the interrupted deploy.
      const next = await runCliProcess(['deploy', cliApp, v3], env);
      expect(next.code, next.output).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      const seen = await load.stop();
      expect(caddy.pid()).toBe(pid);
      expect(seen.failures).toEqual([]);
      expect(seen.bodies.get('v2')).toBeGreaterThan(0);
      expect(await get(cliPort)).toEqual({ status: 200, body: 'v3' });
    } finally {
      caddy.stop();
      await db.drop();
    }
  });
});

const withDocker = (await haveDocker()) && (await havePostgres());

describe.skipIf(!withDocker)('without Caddy (DECKHAND_PROXY=none)', () => {
  const app = `f-proxy-none-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'n1' }, { body: 'n2' }]);
    services = await createTestServices({ apps: [gitApp(app, repo.url, await freePort())] });
  });

  afterAll(async () => {
    await services?.dispose();
    await removeAppArtifacts([app]);
    repo?.cleanup();
  });

  it('every deploy says once, plainly, that it drops requests and how to avoid it', async () => {
    expect(services.traffic.mode).toBe('recreate');
    expect(services.managedProxy).toBeUndefined();
    for (const ref of repo.commits) {
      const d = await services.deploys.deploy({ app, ref, actor: 'U-alice', trigger: 'cli' });
      expect(d.status, d.error ?? '').toBe('succeeded');
      const said = (await services.events.list(d.id)).filter((e) => e.message.includes('apt-get install caddy'));
      expect(said.map((e) => e.message)).toEqual([
        'Warning: DECKHAND_PROXY=none chooses the recreate strategy: requests to this app fail while its container restarts. For zero downtime install Caddy (`apt-get install caddy`) and unset DECKHAND_PROXY; deckhand then runs it itself.',
      ]);
    }
    expect(existsSync(join(services.dataDir, 'caddy'))).toBe(false);
  });
});

function send(port: number, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/', agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(method === 'POST' ? 'body' : undefined);
  });
}
