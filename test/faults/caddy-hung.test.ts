import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath } from '../../src/adapters/proxy/managed-caddy.js';
import { localProcesses } from '../../src/domain/locks/lease.js';
import { createWatchdog } from '../../src/jobs/watchdog.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres()) && onPath('caddy') !== undefined;

const HUNG = 'Caddy did not answer on its admin socket within 10s (hung): killed it, started it again and restored every route';

/**
 * deckhand's own Caddy hangs (frozen with SIGSTOP: it runs, holds its ports and answers nothing). A deploy met it at
 * the switch and waited twice for each of two admin calls (40 s) before replacing it, and its thread said nothing of
 * it; the watchdog called it "not running". Now one admin timeout is the bound, the hung Caddy is killed and a new
 * one started with every route, and the deploy's thread and the watchdog say what happened. Real Docker, Caddy and
 * Postgres.
 */
describe.skipIf(!enabled)("deckhand's own Caddy hung", () => {
  const app = `f-caddyhung-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;
  const frozen: number[] = [];

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '0s' } });
  }, 60_000);

  afterAll(async () => {
    for (const pid of frozen) if (localProcesses.alive(pid)) process.kill(pid, 'SIGKILL');
    await services?.dispose();
    await removeAppArtifacts([app]).catch(() => undefined);
    repo?.cleanup();
  }, 60_000);

  const freeze = () => {
    const pid = services.managedProxy!.caddy.pid()!;
    process.kill(pid, 'SIGSTOP');
    frozen.push(pid);
    return pid;
  };

  it('a deploy that meets it at the switch replaces it, says so, and serves the new version', async () => {
    const v1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status, v1.error ?? '').toBe('succeeded');
    const hung = freeze();
    // Every admin call the deploy makes, through the real client: the hung Caddy is waited for once, not four times.
    const admin = services.managedProxy!.caddy.admin;
    const call = admin.call.bind(admin);
    const unanswered: string[] = [];
    admin.call = (method, path, body) => call(method, path, body).catch((error: unknown) => (unanswered.push(`${method} ${path}: ${(error as Error).message}`), Promise.reject(error)));

    const v2 = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-ops', trigger: 'cli' });
    admin.call = call;
    expect(unanswered).toEqual([expect.stringMatching(/^GET \/config\/: Caddy's admin API at unix\/.* did not answer within 10s$/)]);
    expect(v2.status, v2.error ?? '').toBe('succeeded');
    const phases = (await services.events.list(v2.id)).map((e) => e.message);
    expect(phases.filter((m) => m.startsWith('Caddy'))).toEqual([HUNG]);
    expect(phases.indexOf(HUNG)).toBeLessThan(phases.findIndex((m) => m.startsWith('Traffic on port')));
    expect(localProcesses.alive(hung)).toBe(false);
    expect(services.managedProxy!.caddy.pid()).not.toBe(hung);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  }, 120_000);

  it('the watchdog replaces it and says it was hung, not gone', async () => {
    const hung = freeze();
    const notes = await createWatchdog(services, 0, async () => undefined).checkNow();
    expect(notes[0]).toBe(HUNG);
    expect(localProcesses.alive(hung)).toBe(false);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
    expect(await createWatchdog(services, 0, async () => undefined).checkNow()).toEqual([]);
  }, 120_000);
});
