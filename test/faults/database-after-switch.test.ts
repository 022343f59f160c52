import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Services, createServices } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import { InFlightStatuses } from '../../src/domain/deployment.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { type PgCluster, startPgCluster } from '../helpers/pg-cluster.js';
import { freePort } from '../helpers/ports.js';
import { gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

/**
 * The database goes away right after traffic moved to the new container: the new container must keep serving (it
 * used to be removed by the failure path: a total outage), the write is retried, and what could not be written is
 * recorded from what runs once the database is back.
 */
describe.skipIf(!enabled)('the database stops right after the switch', () => {
  const app = `f-dbsw-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let cluster: PgCluster;
  let services: Services;
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }]);
    caddy = await startCaddy();
    cluster = await startPgCluster();
    dataDir = mkdtempSync(join(tmpdir(), 'deckhand-dbsw-'));
    port = await freePort();
    const env = loadEnv({ DATABASE_URL: await cluster.createDatabase(), DECKHAND_DATA_DIR: dataDir, DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl, DECKHAND_PUBLIC_HOST: '127.0.0.1', DECKHAND_DRAIN: '1500ms' });
    services = await createServices({ env, apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 10_000 })] });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.close().catch(() => undefined);
    await cluster?.dispose();
    await caddy?.stop();
    repo?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const deploy = (ref: string) => services.deploys.deploy({ app, ref, actor: 'U-oncall', trigger: 'cli' });

  /** Crashes the cluster the moment the pipeline reports the switch, before the pipeline goes on. */
  const stopDatabaseAtSwitch = () => {
    let stopped: Promise<void> | undefined;
    const unsubscribe = services.bus.subscribe((event) => {
      if (event.type !== 'switch' || stopped) return;
      cluster.crashNow();
      stopped = Promise.resolve();
    });
    return {
      stopped: () => stopped,
      unsubscribe,
    };
  };

  it('a short outage: the write after the switch is retried and the deploy is recorded as it happened', async () => {
    expect((await deploy(repo.commits[0]!)).status).toBe('succeeded');
    const loop = requestLoop(port, { maxMs: 60_000 });
    const fault = stopDatabaseAtSwitch();
    const running = deploy(repo.commits[1]!);
    await waitUntil(() => fault.stopped() !== undefined);
    await fault.stopped();
    await new Promise((r) => setTimeout(r, 2500));
    await cluster.start();
    const d2 = await running;
    fault.unsubscribe();
    expect(d2).toMatchObject({ id: 2, status: 'succeeded' });
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  });

  it('the database stays away: the new container keeps serving, the error says so, and recovery records it once the database is back', async () => {
    const loop = requestLoop(port, { maxMs: 90_000 });
    const fault = stopDatabaseAtSwitch();
    const outcome = await deploy(repo.commits[2]!).then(
      () => undefined,
      (error: { code?: string; message?: string }) => error,
    );
    fault.unsubscribe();
    expect(outcome).toMatchObject({ code: 'database_unavailable', details: { serving: true } });
    // An immediate stop loses the sequence cache: the id is whatever the database gave, so read it from the error.
    const id = (outcome as { details: { id: number } }).details.id;
    expect(outcome?.message).toContain(`#${id} serves ${app}, but deckhand could not record it: the database is unavailable`);
    expect(outcome?.message).not.toMatch(/select|insert|update "/i);
    // Nothing was removed: the new version serves all along.
    expect(await get(port)).toEqual({ status: 200, body: 'v3' });

    await cluster.start();
    // pg_ctl returns once the server takes connections, but the pool may have begun a connection while the server was
    // still recovering (57P03, "not yet accepting connections"): the first query can fail on it. Wait for an answer.
    await answering(() => services.store.get(id));
    // Still in flight in the record. The cluster runs without fsync and with asynchronous commit, so the crash may
    // lose the last writes (even 'starting'): recovery below must work from Docker's labels alone.
    expect(InFlightStatuses).toContain((await services.store.get(id))?.status);
    const notes = await services.deploys.reconcile();
    expect(notes).toContain(`${app}: #${id} was serving and healthy: recorded as succeeded`);
    expect(await services.store.current(app)).toMatchObject({ id, status: 'succeeded' });
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(seen.bodies.get('v3')).toBeGreaterThan(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v3' });
  });
});

/** Resolves once `query` answers (bounded): a database that just came back may refuse the first connection. */
async function answering(query: () => Promise<unknown>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await query();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
