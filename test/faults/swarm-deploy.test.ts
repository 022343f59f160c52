import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRegistryClient } from '../../src/adapters/swarm/engine-registry.js';
import { SwarmRuntime } from '../../src/adapters/swarm/swarm-runtime.js';
import type { AppSpec } from '../../src/domain/apps.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { type HubCaddy, startCaddyInNamespace } from '../helpers/hub-caddy.js';
import { haveDocker } from '../helpers/infra.js';
import { startFreshConnectionLoop } from '../helpers/ns-fresh-loop.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { type SwarmCluster, startSwarm } from '../helpers/swarm-cluster.js';
import { takeSwarmLock } from '../helpers/swarm-lock.js';

const enabled = await haveDocker();
const APP = 'i-swarm-app';
/** Caddy's public port for the app, inside the hub namespace (nothing listens on it in the machine's own). */
const PUBLIC_PORT = 18613;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * On Swarm with host networking Caddy reaches each task on its NODE address, so the app listens on every address of
 * the node (the git-repo helper's default start.sh listens on 127.0.0.1 only). `delay` makes it slow to listen.
 */
const startScript = (body: string, delay = 0) =>
  `${delay ? `/bin/busybox sleep ${delay}\n` : ''}echo "starting ${body} on port $PORT"\nexec /bin/busybox httpd -f -v -p $PORT -h /www\n`;

/**
 * deckhand itself (createServices with DECKHAND_RUNTIME=swarm) deploying a git app onto a real three-node Swarm
 * (test/helpers/swarm-cluster.ts) through a real Caddy running inside the hub namespace, images pushed to the
 * cluster's htpasswd registry. deckhand and this test run in the machine's own namespace and never send a packet to
 * a node address: health is judged by Swarm (the pipeline skips its HTTP probe when the runtime has waitHealthy), the
 * watch window is off, and every request to a node or to Caddy's public port is sent from INSIDE the hub namespace.
 * Rollback plans ask the registry through the manager's engine (never over HTTP from here); prune is not exercised.
 */
describe.skipIf(!enabled)('deploys on a three-node Swarm through deckhand', () => {
  let release: (() => void) | undefined;
  let cluster: SwarmCluster;
  let caddy: HubCaddy;
  let repo: TestRepo;
  let services: TestServices;
  const d: Record<string, Deployment> = {};
  const publicUrl = `http://127.0.0.1:${PUBLIC_PORT}/`;

  const addrs = () => cluster.nodes.map((n) => n.addr);
  /** Requests from INSIDE the hub namespace, each on a new connection (see ns-fresh-loop.ts). */
  const loopFromHub = (urls: string[], expectedBody?: string) => startFreshConnectionLoop(cluster.hub, urls, expectedBody);
  const deploy = (ref: string, onStarted?: (deployment: Deployment) => void) => services.deploys.deploy({ app: APP, ref, actor: 'U-ivy', trigger: 'cli', ...(onStarted ? { onStarted } : {}) });
  const upstreams = async () => {
    const answer = await caddy.admin.call('GET', `/id/deckhand-${APP}-proxy/upstreams`);
    return (JSON.parse(answer.body) as Array<{ dial: string }>).map((u) => u.dial).sort();
  };
  const answersOn = async (port: number, nodes: string[], body: string) => {
    for (const addr of nodes) expect(await cluster.httpGet(`http://${addr}:${port}/`), addr).toEqual({ status: 200, body });
  };
  const eventsOf = async (deployment: Deployment) => JSON.stringify(await services.events.list(deployment.id));
  const replicasOf = async (serviceId: string) => (await cluster.manager.docker.getService(serviceId).inspect()).Spec.Mode.Replicated.Replicas as number;

  beforeAll(async () => {
    release = await takeSwarmLock();
    cluster = await startSwarm({ nodes: 3, registry: true });
    // Caddy reopens its listener on each config change; without this (per namespace) setting the kernel resets the
    // few connections queued on the old socket (README: Traffic switch).
    await cluster.runInHub(['sysctl', '-q', '-w', 'net.ipv4.tcp_migrate_req=1']);
    caddy = await startCaddyInNamespace(cluster.hub);
    repo = createTestRepo([
      { body: 'v1', files: { 'start.sh': startScript('v1') } },
      { body: 'v2', files: { 'start.sh': startScript('v2') } },
      { body: 'v3', healthy: false, files: { 'start.sh': startScript('v3') } },
      // Slow to listen, so a node stopped right after its service is created is gone before its task is healthy.
      { body: 'v4', files: { 'start.sh': startScript('v4', 3) } },
    ]);
    const registry = cluster.registry!;
    const app: AppSpec = {
      ...gitApp(APP, repo.url, PUBLIC_PORT, { healthTimeoutMs: 150_000, watchMs: 0, stopTimeoutMs: 2000 }),
      registry: `${registry.host}/${APP}`,
      // The app's own HEALTHCHECK argv (an image without busybox would name its curl or its own checker).
      target: { swarm: { replicas: 3, constraints: [], healthcheck: ['/bin/busybox', 'wget', '-q', '-O', '-', '{url}'] } },
    };
    services = await createTestServices({
      apps: [app],
      caddyAdminUrl: caddy.adminUrl,
      env: {
        DECKHAND_RUNTIME: 'swarm',
        DOCKER_SOCKET: cluster.manager.socket,
        DECKHAND_PROXY: 'caddy',
        DECKHAND_DOCKER_TIMEOUT: '30s',
        DECKHAND_REGISTRY_AUTH: JSON.stringify({ [registry.host]: { username: registry.username, password: registry.password } }),
      },
    });
  }, 16 * 60_000);

  afterAll(async () => {
    await services?.dispose();
    await caddy?.stop();
    await cluster?.teardown();
    repo?.cleanup();
    release?.();
  }, 180_000);

  it('v1 is a service with a task on every node, pushed to the registry, and Caddy has one upstream per node', async () => {
    expect(services.runtime).toBeInstanceOf(SwarmRuntime);
    d.v1 = await deploy(repo.commits[0]!);
    expect(d.v1, d.v1.error ?? '').toMatchObject({ status: 'succeeded', registryRef: `${cluster.registry!.host}/${APP}:deploy-${d.v1.id}` });
    const port = d.v1.upstreamPort!;
    expect(await upstreams()).toEqual(addrs().map((a) => `${a}:${port}`).sort());
    expect(JSON.parse((await caddy.admin.call('GET', `/id/deckhand-${APP}-proxy/health_checks`)).body)).toEqual({ passive: { fail_duration: '10s', max_fails: 1 } });
    const spec = (await cluster.manager.docker.getService(d.v1.containerId!).inspect()).Spec;
    expect(spec.Name).toBe(`deckhand-${APP}-${d.v1.id}`);
    expect(spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${cluster.registry!.host}/${APP}@sha256:[0-9a-f]{64}$`));
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck.Test).toEqual(['CMD', '/bin/busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${port}/healthz`]);
    expect(spec.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(2_000_000_000);
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v1' });
    await answersOn(port, addrs(), 'v1');
    // Health was judged by Swarm (the tasks' HEALTHCHECK), not by a probe from deckhand's namespace.
    expect(await eventsOf(d.v1)).toMatch(/3 of 3 tasks running and healthy/);
  }, 300_000);

  it('v2 under a request loop through Caddy: 0 failed requests, every node answers v2, v1 is scaled to 0 and kept', async () => {
    const loop = loopFromHub([publicUrl]);
    d.v2 = await deploy(repo.commits[1]!);
    await sleep(300);
    const seen = await loop.stop();
    expect(d.v2, d.v2.error ?? '').toMatchObject({ status: 'succeeded' });
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(20);
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v2' });
    expect(await upstreams()).toEqual(addrs().map((a) => `${a}:${d.v2!.upstreamPort}`).sort());
    await answersOn(d.v2.upstreamPort!, addrs(), 'v2');
    // The previous version is retained as its service scaled to 0: the instant rollback.
    expect(await replicasOf(d.v1!.containerId!)).toBe(0);
    expect(await services.runtime.inspectContainer(d.v1!.containerId!)).toMatchObject({ running: false, deploymentId: d.v1!.id });
    // `status` (without the rollback window, which asks the registry): the serving service from Swarm's state; no
    // probe of the upstream on 127.0.0.1, where none of its tasks runs.
    const status = await services.status.app(services.apps.get(APP)!, { window: false });
    expect(status.serving?.id).toBe(d.v2.id);
    expect(status.health.container).toMatchObject({ name: `deckhand-${APP}-${d.v2.id}`, running: true, status: 'running' });
    expect(status.health.probes.map((p) => p.where)).toEqual(['public']);
  }, 300_000);

  it('a broken v3 (its /healthz answers 404) fails health_check_failed naming the tasks’ errors; v2 keeps serving on every node', async () => {
    const loop = loopFromHub([publicUrl, ...addrs().map((a) => `http://${a}:${d.v2!.upstreamPort}/`)], 'v2');
    d.v3 = await deploy(repo.commits[2]!);
    const seen = await loop.stop();
    expect(d.v3).toMatchObject({ status: 'failed', errorCode: 'health_check_failed' });
    expect(d.v3.error).toMatch(/task\(s\) failed: .*unhealthy container/);
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(20);
    // The failed version's service is gone; v2 still serves, recorded as current.
    expect((await services.runtime.listContainers(APP)).filter((c) => c.deploymentId === d.v3!.id)).toEqual([]);
    await answersOn(d.v2!.upstreamPort!, addrs(), 'v2');
    expect(await upstreams()).toEqual(addrs().map((a) => `${a}:${d.v2!.upstreamPort}`).sort());
    expect((await services.store.current(APP))?.id).toBe(d.v2!.id);
    const rows = (await services.store.list(APP, 10)).map((r) => [r.id, r.status]);
    expect(rows).toEqual(expect.arrayContaining([[d.v1!.id, 'succeeded'], [d.v2!.id, 'succeeded'], [d.v3.id, 'failed']]));
  }, 300_000);

  it('a node stopped during the v4 deploy: v4 is recorded serving from the two others, the public port never failed', async () => {
    const node3 = cluster.nodes[2]!;
    const survivors = addrs().slice(0, 2);
    const loop = loopFromHub([publicUrl]);
    let id: number | undefined;
    const deploying = deploy(repo.commits[3]!, (deployment) => (id = deployment.id));
    // Once v4's service exists (its tasks take 3 s to listen), node 3's dockerd goes away.
    for (let i = 0; i < 1200; i++) {
      const created = id !== undefined && (await services.runtime.listContainers(APP)).some((c) => c.deploymentId === id);
      if (created) break;
      await sleep(100);
    }
    await node3.stop();
    d.v4 = await deploying;
    await sleep(300);
    const seen = await loop.stop();
    expect(d.v4, d.v4.error ?? '').toMatchObject({ status: 'succeeded' });
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(20);
    expect(await upstreams()).toEqual(survivors.map((a) => `${a}:${d.v4!.upstreamPort}`).sort());
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v4' });
    await answersOn(d.v4.upstreamPort!, survivors, 'v4');
    expect((await services.store.current(APP))?.id).toBe(d.v4.id);
    // What `status` can show: v4's third task waits for a node.
    expect(await eventsOf(d.v4)).toMatch(/2 of 3 tasks running and healthy/);
    const tasks = await (services.runtime as SwarmRuntime).tasks(d.v4.containerId!);
    expect(tasks.filter((t) => t.state === 'running').map((t) => t.addr).sort()).toEqual(survivors);
    expect(tasks.some((t) => t.state === 'pending' && /no suitable node/.test(t.message))).toBe(true);
  }, 400_000);

  it('rollback to v2 scales its retained service back up (the same service, on its port): 0 failed requests', async () => {
    const survivors = addrs().slice(0, 2);
    const plan = await services.rollbacks.plan(APP, d.v2!.id);
    expect(plan.artifact.source).toBe('reuse_image');
    const loop = loopFromHub([publicUrl]);
    const { deployment } = await services.rollbacks.rollback(APP, d.v2!.id, 'U-ivy');
    await sleep(300);
    const seen = await loop.stop();
    expect(deployment, deployment.error ?? '').toMatchObject({ status: 'succeeded', rollbackOf: d.v2!.id, rollbackSource: 'reuse_image' });
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(5);
    // The SAME service, relabelled for the new deployment, on v2's own port.
    expect(deployment.containerId).toBe(d.v2!.containerId);
    expect(deployment.upstreamPort).toBe(d.v2!.upstreamPort);
    expect(await services.runtime.inspectContainer(deployment.containerId!)).toMatchObject({ running: true, deploymentId: deployment.id });
    expect(await replicasOf(deployment.containerId!)).toBe(3);
    expect(await eventsOf(deployment)).toMatch(/Scaled the retained deckhand-i-swarm-app-\d+ back up/);
    expect(await upstreams()).toEqual(survivors.map((a) => `${a}:${d.v2!.upstreamPort}`).sort());
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v2' });
    expect(await replicasOf(d.v4!.containerId!)).toBe(0);
    d.r2 = deployment;
  }, 300_000);

  it('rollback to v1 after its service and manager image are gone: the manager asks the registry, pulls by digest, a new service serves', async () => {
    const survivors = addrs().slice(0, 2);
    const manager = cluster.manager.docker;
    await manager.getService(d.v1!.containerId!).remove();
    // The service's task containers go away asynchronously; the image goes once nothing holds it.
    for (let i = 0; i < 100 && (await services.runtime.inspectImage(d.v1!.imageId!)); i++) {
      await manager.getImage(d.v1!.imageId!).remove({ force: true }).catch(() => undefined);
      await sleep(200);
    }
    expect(await services.runtime.inspectImage(d.v1!.imageId!)).toBeUndefined();
    // The registry is asked through the manager's engine (deckhand never sends a packet to a node address).
    expect(services.registry).toBeInstanceOf(EngineRegistryClient);
    expect(await services.registry.has(d.v1!.registryRef!)).toBe(true);
    expect(await services.registry.has(`${cluster.registry!.host}/${APP}:no-such-tag`)).toBe(false);
    const plan = await services.rollbacks.plan(APP, d.v1!.id);
    expect(plan.artifact.source).toBe('pull_image');
    const loop = loopFromHub([publicUrl]);
    const { deployment } = await services.rollbacks.rollback(APP, d.v1!.id, 'U-ivy');
    await sleep(300);
    const seen = await loop.stop();
    expect(deployment, deployment.error ?? '').toMatchObject({ status: 'succeeded', rollbackOf: d.v1!.id, rollbackSource: 'pull_image', imageId: d.v1!.imageId });
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(5);
    expect(deployment.containerId).not.toBe(d.v1!.containerId);
    const spec = (await manager.getService(deployment.containerId!).inspect()).Spec;
    expect(spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${cluster.registry!.host}/${APP}@sha256:[0-9a-f]{64}$`));
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v1' });
    await answersOn(deployment.upstreamPort!, survivors, 'v1');
    expect(await replicasOf(d.r2!.containerId!)).toBe(0);
  }, 400_000);
});
