import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Services, createServices } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import { asDeckhandError } from '../../src/domain/errors.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { type PgCluster, startPgCluster } from '../helpers/pg-cluster.js';
import { freePort } from '../helpers/ports.js';
import { gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

/**
 * The write that says a deploy starts (status, env snapshot) now runs while the new container is created, not
 * before: it must still land before anything that serves is touched. With recreate, the old container is stopped
 * only once that write landed, so a database that crashes right before it stops nothing: the old version keeps
 * serving through the fault with zero failed requests, and the container created meanwhile is removed.
 */
describe.skipIf(!enabled)('the database crashes right before a rollback starts its container (recreate)', () => {
  const app = `f-dbstart-${process.pid}`;
  let repo: TestRepo;
  let cluster: PgCluster;
  let services: Services;
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    cluster = await startPgCluster();
    dataDir = mkdtempSync(join(tmpdir(), 'deckhand-dbstart-'));
    port = await freePort();
    const env = loadEnv({ DATABASE_URL: await cluster.createDatabase(), DECKHAND_DATA_DIR: dataDir, DECKHAND_PROXY: 'none', DECKHAND_DRAIN: '0s' });
    services = await createServices({ env, apps: [gitApp(app, repo.url, port, { healthTimeoutMs: 10_000 })] });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.close().catch(() => undefined);
    await cluster?.dispose();
    repo?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the old container is never stopped, nothing is left behind, and the attempt is recorded once the database is back', async () => {
    const deploy = (ref: string) => services.deploys.deploy({ app, ref, actor: 'U-oncall', trigger: 'cli' });
    const d1 = await deploy(repo.commits[0]!);
    const d2 = await deploy(repo.commits[1]!);
    expect([d1.status, d2.status]).toEqual(['succeeded', 'succeeded']);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });

    const loop = requestLoop(port, { maxMs: 60_000 });
    let crashed = false;
    let rollbackId: number | undefined;
    const unsubscribe = services.bus.subscribe((event) => {
      // 'artifact' is the reuse rollback's last moment before the start: the crash lands before the start's write.
      if (crashed || event.type !== 'phase' || event.phase !== 'artifact') return;
      rollbackId = event.deploymentId;
      cluster.crashNow();
      crashed = true;
      setTimeout(() => void cluster.start(), 1500);
    });
    const outcome = await services.rollbacks.rollback(app, d1.id, 'U-oncall').then(
      ({ deployment }) => deployment,
      (error: unknown) => error as Error,
    );
    unsubscribe();
    expect(crashed).toBe(true);
    // Either the failure was recorded after the database came back, or it was still away (its record retried in
    // vain, and the rollback says the database is unavailable): never a success.
    if ('status' in outcome) expect(outcome.status).toBe('failed');
    else expect(asDeckhandError(outcome).code).toBe('database_unavailable');
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(seen.bodies.get('v1') ?? 0).toBe(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
    const containers = await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${app}`] } });
    expect(containers.map((c) => c.Labels['deckhand.deployment'])).not.toContain(String(rollbackId));
    const serving = containers.filter((c) => c.State === 'running').map((c) => c.Labels['deckhand.deployment']);
    expect(serving).toEqual([String(d2.id)]);
  });
});
