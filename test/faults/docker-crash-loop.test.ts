import { describe, expect, it } from 'vitest';
import { CaddyProxy } from '../../src/adapters/proxy/caddy-proxy.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useOwnEngineApp } from '../helpers/own-engine-app.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * Item 5: a new container that crashes (and that `unless-stopped` keeps restarting) is seen from its state during
 * the health window: the deploy fails at once with the container's last lines, not after healthTimeout, while the
 * old version keeps serving through Caddy.
 */
describe.skipIf(!enabled)('crash-looping new containers', () => {
  const app = `f-docker-crash-${process.pid}`;
  const h = useOwnEngineApp({
    app,
    versions: [{ body: 'v1' }],
    caddy: true,
    // A health window of a minute: waiting it out would blow the test's time limit below.
    run: { healthTimeoutMs: 60_000 },
  });

  it('fails a v2 that exits at once as health_check_failed with its last log lines, v1 answering throughout', async () => {
    const v1 = await h.services.deploys.deploy({ app, ref: h.repo.commits[0]!, actor: 'U-ops', trigger: 'cli' });
    expect(v1.status).toBe('succeeded');
    expect((await get(h.port)).body).toBe('v1');

    const crashing = h.repo.commit({ body: 'v2', files: { 'start.sh': 'echo "v2 booting"\necho "v2 cannot start: DATABASE_URL is missing" >&2\nexit 3\n' } });
    const loop = requestLoop(h.port, { maxMs: 50_000 });
    const v2 = await h.services.deploys.deploy({ app, ref: crashing, actor: 'U-ops', trigger: 'cli' }).finally(() => loop.stop());
    const traffic = await loop.stop();
    expect(v2).toMatchObject({ status: 'failed', errorCode: 'health_check_failed' });
    // Caught exited (code 3), restarting (code 3), or already running again after a restart: Docker resets the exit
    // code when the restart policy starts it, so that last state names the restart without the code.
    expect(v2.error).toMatch(/^the container (is crash-looping \(it exited( with code 3)?; Docker restarted it|exited with code 3)/);
    expect(v2.logTail).toContain('v2 cannot start: DATABASE_URL is missing');

    expect(traffic.failures).toEqual([]);
    expect(traffic.total).toBeGreaterThan(0);
    expect([...traffic.bodies.keys()]).toEqual(['v1']);
    expect(await new CaddyProxy(h.caddy!.adminUrl).upstream(app)).toBe(v1.upstreamPort);
    const containers = await h.services.runtime.listContainers(app);
    expect(containers.map((c) => c.deploymentId)).toEqual([v1.id]);
    expect(containers[0]!.running).toBe(true);
    const stored = await h.services.store.get(v2.id);
    expect(stored).toMatchObject({ status: 'failed', errorCode: 'health_check_failed' });
  }, 40_000);
});
