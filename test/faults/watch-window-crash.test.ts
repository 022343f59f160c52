import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdmin } from '../../src/adapters/proxy/caddy-admin.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { runCliProcess, startCli } from '../helpers/cli-process.js';
import { createScratchDatabase } from '../helpers/db.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo, slowCgiFiles } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';

const enabled = (await haveDocker()) && (await havePostgres());

interface Row {
  id: number;
  status: string;
  errorCode: string | null;
}

/** /healthz disappears `seconds` after the container starts (it passes its first health check, then breaks). */
const turnsUnhealthy = (seconds: number) =>
  `/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www &\n/bin/busybox sleep ${seconds}\n/bin/busybox rm -f /www/healthz\nwait\n`;

/**
 * The deckhand process dies (kill -9) during a watch window, with a request loop through Caddy the whole time. While
 * the watching CLI lives, recovery leaves its deploy alone (it holds the lease); after the kill, recovery keeps the
 * new version when it serves and is healthy, and otherwise gives traffic back to the previous one and closes the
 * deploy as `reverted`.
 */
describe.skipIf(!enabled)('a deploy whose CLI is killed (-9) during its watch window', () => {
  const app = `f-watch-kill-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  let port: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    repo.commit({ body: 'v3', files: { 'start.sh': turnsUnhealthy(3) } });
    // v4 breaks the same way, and answers /cgi-bin/slow.cgi after 10 s: a request still open when recovery moves traffic.
    repo.commit({ body: 'v4', files: { ...slowCgiFiles(10, 'slow-v4'), 'start.sh': `/bin/busybox chmod +x /www/cgi-bin/slow.cgi\n${turnsUnhealthy(3)}` } });
    caddy = await startCaddy();
    db = await createScratchDatabase();
    dir = mkdtempSync(join(tmpdir(), 'deckhand-watch-kill-'));
    port = await freePort();
    writeFileSync(join(dir, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { git: "${repo.url}", branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 3s, watch: 60s }\n`);
    env = {
      DATABASE_URL: db.url,
      DECKHAND_DATA_DIR: join(dir, 'data'),
      DECKHAND_CONFIG: join(dir, 'deckhand.yml'),
      DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl,
      DECKHAND_PUBLIC_HOST: '127.0.0.1',
      DECKHAND_DRAIN: '300ms',
    };
  }, 60_000);

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await caddy?.stop();
    await db?.drop();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const history = async (): Promise<Row[]> => {
    const { code, output } = await runCliProcess(['deploys', app, '--json'], env);
    expect(code, output).toBe(0);
    return JSON.parse(output.slice(output.indexOf('['))) as Row[];
  };

  /**
   * Deploys `commit` as #`id`, kills its CLI (-9) once it watches, then waits until the version (one that loses its
   * health path 3 s after it started) has broken, as a watcher would have seen.
   */
  const killedInWindowThenBroken = async (commit: string, id: number) => {
    const cli = startCli(['deploy', app, commit], env);
    await cli.waitFor(new RegExp(`#${id} \\[watch\\] Watching #${id}`));
    cli.child.kill('SIGKILL');
    await cli.exited;
    for (let i = 0; i < 100 && (await get(port, '/healthz').catch(() => ({ status: 0 }))).status === 200; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  };

  it('alive: recovery leaves the watching deploy alone; killed: recovery keeps the healthy new version', async () => {
    expect((await runCliProcess(['deploy', app, repo.commits[0]!], env)).code).toBe(0);
    const loop = requestLoop(port, { maxMs: 90_000 });
    const cli = startCli(['deploy', app, repo.commits[1]!], env);
    await cli.waitFor(/#2 \[watch\] Watching #2 for 60s/);
    expect((await history())[0]).toMatchObject({ id: 2, status: 'watching' });
    await runCliProcess(['recover', app], env);
    expect((await history())[0]).toMatchObject({ id: 2, status: 'watching' });

    cli.child.kill('SIGKILL');
    expect(await cli.exited).toBeNull();
    const recovered = await runCliProcess(['recover', app], env);
    expect(recovered.code, recovered.output).toBe(0);
    expect(recovered.output).toContain('#2 was serving and healthy: recorded as succeeded');
    expect((await history()).map((d) => [d.id, d.status])).toEqual([[2, 'succeeded'], [1, 'succeeded']]);
    // The window listed #1 behind #2 in Caddy; recovery retires #1, so #2 is listed alone first.
    expect(recovered.output).toContain(`listed deckhand-${app}-2 alone in the proxy`);
    const upstreams = JSON.parse((await new CaddyAdmin(caddy.adminUrl).call('GET', `/id/deckhand-${app}-proxy/upstreams`)).body) as unknown[];
    expect(upstreams).toHaveLength(1);
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  }, 90_000);

  it('killed, and the new version broke meanwhile: recovery gives traffic back to the previous one and closes it as reverted', async () => {
    const loop = requestLoop(port, { maxMs: 90_000 });
    await killedInWindowThenBroken(repo.commits[2]!, 3);

    const recovered = await runCliProcess(['recover', app], env);
    expect(recovered.code, recovered.output).toBe(0);
    expect(recovered.output).toContain('#3 was interrupted in its watch window and #2 serves: closed as reverted');
    expect((await history()).slice(0, 2)).toMatchObject([{ id: 3, status: 'reverted', errorCode: 'interrupted' }, { id: 2, status: 'succeeded' }]);
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  }, 90_000);

  it('killed, the new version broke, and a request is still open on it: recovery moves traffic back, then lets that request finish before removing it', async () => {
    const loop = requestLoop(port, { maxMs: 90_000 });
    await killedInWindowThenBroken(repo.commits[3]!, 4);

    // Through Caddy to #4, which still serves it: it answers after 10 s, well after recovery found #4 unhealthy.
    const slow = get(port, '/cgi-bin/slow.cgi', 30_000).catch((error: Error) => ({ status: 0, body: error.message }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const recovered = await runCliProcess(['recover', app], env);
    expect(recovered.code, recovered.output).toBe(0);
    expect(recovered.output).toContain('#4 was interrupted in its watch window and #2 serves: closed as reverted');
    // Before, recovery removed #4 right after moving traffic back: the request was cut there, and Caddy sent it again
    // to #2, which has no slow.cgi (404). A request that is not safe to repeat would have failed outright.
    expect(await slow).toEqual({ status: 200, body: 'slow-v4\n' });
    expect(recovered.output).toMatch(/1 request still open on the version traffic moved away from after the drain: waiting for it/);
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  }, 90_000);
});
