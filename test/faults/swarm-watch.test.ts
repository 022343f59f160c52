import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwarmRuntime } from '../../src/adapters/swarm/swarm-runtime.js';
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
const APP = 'i-swarm-watch';
/** Caddy's public port for the app, inside the hub namespace (nothing listens on it in the machine's own). */
const PUBLIC_PORT = 18614;
/** Long enough for the three tasks to start and pass their healthcheck before v3's /healthz goes. */
const WATCH_MS = 30_000;
const UNHEALTHY_AFTER_S = 15;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** busybox httpd on every address of the node (Caddy reaches each task on its node address). */
const serves = (body: string) => `echo "starting ${body} on port $PORT"\nexec /bin/busybox httpd -f -p $PORT -h /www\n`;

/**
 * Serves / and /healthz, then /healthz goes (the version "loses its database") while / keeps answering: the tasks'
 * HEALTHCHECK turns them unhealthy and Swarm replaces them, which is what deckhand's watch window sees on Swarm.
 * The task on the node with address `first` loses it after `seconds`, the others `later` seconds after that: the
 * revert comes at the first task's failure, while the other tasks still answer the requests Caddy retries on them.
 * (When every task of a version dies at the same moment, a request Caddy was sending to that version then has no
 * upstream left in its config and fails at once: README, Running on a Docker Swarm.)
 */
const turnsUnhealthy = (first: string, seconds: number, later: number) =>
  [
    '/bin/busybox httpd -f -p $PORT -h /www &',
    `if /bin/busybox ip -4 addr | /bin/busybox grep -q " ${first}/"; then /bin/busybox sleep ${seconds}; else /bin/busybox sleep ${seconds + later}; fi`,
    '/bin/busybox rm -f /www/healthz',
    'echo "v3 lost its database connection"',
    'wait',
  ].join('\n') + '\n';

/** On the node with address `addr` only: serves for `seconds`, then exits 0 (the other nodes' tasks keep serving). */
const oneNodeExits = (addr: string, seconds: number) =>
  [
    `if /bin/busybox ip -4 addr | /bin/busybox grep -q " ${addr}/"; then`,
    '  /bin/busybox httpd -f -p $PORT -h /www &',
    `  /bin/busybox sleep ${seconds}`,
    `  echo "v4 on ${addr} stops"`,
    '  exit 0',
    'fi',
    'exec /bin/busybox httpd -f -p $PORT -h /www',
  ].join('\n') + '\n';

/**
 * Issue 13's watch window on a real three-node Swarm (harness as in swarm-deploy.test.ts: Caddy and every request in
 * the hub namespace, deckhand judging health by Swarm's state only). The previous service keeps its replicas through
 * the new version's watch window and is scaled to 0 only after it; a version that breaks inside the window sends
 * traffic back to the previous service, which never went below its replicas.
 */
describe.skipIf(!enabled)('the watch window on a three-node Swarm', () => {
  let release: (() => void) | undefined;
  let cluster: SwarmCluster;
  let caddy: HubCaddy;
  let repo: TestRepo;
  let services: TestServices;
  const d: Record<string, Deployment> = {};
  const publicUrl = `http://127.0.0.1:${PUBLIC_PORT}/`;

  const addrs = () => cluster.nodes.map((n) => n.addr);
  const loopFromHub = (urls: string[], expectedBody?: string) => startFreshConnectionLoop(cluster.hub, urls, expectedBody);
  const upstreams = async () => {
    const answer = await caddy.admin.call('GET', `/id/deckhand-${APP}-proxy/upstreams`);
    return (JSON.parse(answer.body) as Array<{ dial: string }>).map((u) => u.dial).sort();
  };
  const replicasOf = async (serviceId: string) => (await cluster.manager.docker.getService(serviceId).inspect()).Spec.Mode.Replicated.Replicas as number;
  const runningTasks = async (serviceId: string) => (await (services.runtime as SwarmRuntime).tasks(serviceId)).filter((t) => t.state === 'running' && t.desiredState === 'running').length;
  const answersOn = async (port: number, body: string) => {
    for (const addr of addrs()) expect(await cluster.httpGet(`http://${addr}:${port}/`), addr).toEqual({ status: 200, body });
  };
  /** Deploys `ref` and resolves once it is `watching` (with its id), and when it ends. */
  const deployWatched = (ref: string) => {
    let id: number | undefined;
    const done = services.deploys.deploy({ app: APP, ref, actor: 'U-ivy', trigger: 'cli', onStarted: (deployment) => (id = deployment.id) });
    const watching = (async () => {
      for (let i = 0; i < 3000; i++) {
        const row = id === undefined ? undefined : await services.store.get(id);
        if (row?.status === 'watching') return row;
        if (row && ['succeeded', 'failed', 'reverted', 'cancelled'].includes(row.status)) throw new Error(`#${row.id} ended ${row.status} before its watch window: ${row.error}`);
        await sleep(100);
      }
      throw new Error('the deploy never reached its watch window');
    })();
    return { watching, done };
  };

  beforeAll(async () => {
    release = await takeSwarmLock();
    cluster = await startSwarm({ nodes: 3, registry: true });
    await cluster.runInHub(['sysctl', '-q', '-w', 'net.ipv4.tcp_migrate_req=1']);
    caddy = await startCaddyInNamespace(cluster.hub);
    repo = createTestRepo([
      { body: 'v1', files: { 'start.sh': serves('v1') } },
      { body: 'v2', files: { 'start.sh': serves('v2') } },
      { body: 'v3', files: { 'start.sh': turnsUnhealthy(cluster.nodes[0]!.addr, UNHEALTHY_AFTER_S, 30) } },
      { body: 'v4', files: { 'start.sh': oneNodeExits(cluster.nodes[0]!.addr, UNHEALTHY_AFTER_S) } },
    ]);
    const registry = cluster.registry!;
    const app: AppSpec = {
      // Swarm stops an unhealthy task after its stop grace (it keeps serving until then): deckhand's revert has to land
      // inside it. 5 s is half Swarm's default and leaves room for a loaded CI machine, where the manager's answers
      // and Caddy's reload take a while; with 2 s, CI once saw v3's tasks stopped a moment before traffic went back.
      ...gitApp(APP, repo.url, PUBLIC_PORT, { healthTimeoutMs: 150_000, watchMs: WATCH_MS, stopTimeoutMs: 5000 }),
      registry: `${registry.host}/${APP}`,
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

  it('v1 then v2 under a request loop: v1 keeps its replicas through v2’s window, is scaled to 0 after it; 0 failed requests', async () => {
    d.v1 = await services.deploys.deploy({ app: APP, ref: repo.commits[0]!, actor: 'U-ivy', trigger: 'cli' });
    expect(d.v1, d.v1.error ?? '').toMatchObject({ status: 'succeeded' });
    const loop = loopFromHub([publicUrl]);
    const v2 = deployWatched(repo.commits[1]!);
    const watching = await v2.watching;
    // Inside the window: Caddy already points at v2 on every node, and v1's service still runs all its replicas.
    expect(await upstreams()).toEqual(addrs().map((a) => `${a}:${watching.upstreamPort}`).sort());
    expect(await replicasOf(d.v1.containerId!)).toBe(3);
    expect(await runningTasks(d.v1.containerId!)).toBe(3);
    await answersOn(d.v1.upstreamPort!, 'v1');
    d.v2 = await v2.done;
    await sleep(300);
    const seen = await loop.stop();
    expect(d.v2, d.v2.error ?? '').toMatchObject({ status: 'succeeded' });
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(20);
    // After the window: v1 is scaled to 0 (kept), v2 serves on every node.
    expect(await replicasOf(d.v1.containerId!)).toBe(0);
    // Once its tasks stopped, none counts as failed (a task that exits 0 by itself would): a rollback that scales the
    // retained service back up starts with a clean record.
    const v1Tasks = () => (services.runtime as SwarmRuntime).tasks(d.v1!.containerId!);
    for (let i = 0; i < 100 && (await v1Tasks()).some((t) => t.state === 'running'); i++) await sleep(200);
    expect((await v1Tasks()).filter((t) => t.state !== 'shutdown')).toEqual([]);
    expect(await services.runtime.inspectContainer(d.v1.containerId!)).toMatchObject({ running: false, deploymentId: d.v1.id, restartCount: 0 });
    await answersOn(d.v2.upstreamPort!, 'v2');
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v2' });
    expect((await services.store.current(APP))?.id).toBe(d.v2.id);
  }, 400_000);

  it('a v3 that turns unhealthy inside its window is reverted: traffic back to v2, whose service never went below its replicas; 0 failed requests', async () => {
    const v2Service = d.v2!.containerId!;
    // v2's service sampled throughout v3's deploy: its replicas and its running tasks.
    let sampling = true;
    const low = { replicas: Infinity, running: Infinity, samples: 0 };
    const sampler = (async () => {
      while (sampling) {
        const [replicas, running] = await Promise.all([replicasOf(v2Service), runningTasks(v2Service)]);
        low.replicas = Math.min(low.replicas, replicas);
        low.running = Math.min(low.running, running);
        low.samples++;
        await sleep(200);
      }
    })();
    const loop = loopFromHub([publicUrl]);
    const v3 = deployWatched(repo.commits[2]!);
    await v3.watching;
    d.v3 = await v3.done;
    await sleep(300);
    const seen = await loop.stop();
    sampling = false;
    await sampler;

    expect(d.v3).toMatchObject({ status: 'reverted', errorCode: 'watch_failed' });
    expect(d.v3.error).toMatch(new RegExp(`^Reverted #${d.v3.id}: the container is crash-looping .*during the watch window; traffic went back to #${d.v2!.id}\\.$`));
    // As on one host (test/faults/watch-window.test.ts): users never saw a failure, before or after the revert.
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(20);
    expect(low.samples).toBeGreaterThan(5);
    expect(low).toMatchObject({ replicas: 3, running: 3 });
    expect(await upstreams()).toEqual(addrs().map((a) => `${a}:${d.v2!.upstreamPort}`).sort());
    const check = loopFromHub([publicUrl], 'v2');
    await check.answered(); // a second of answers, counted from the loop's first one
    await sleep(1000);
    const afterRevert = await check.stop();
    expect(afterRevert.failures).toEqual([]);
    expect(afterRevert.ok).toBeGreaterThan(5);
    await answersOn(d.v2!.upstreamPort!, 'v2');
    // v3's service is gone, v2 is still current, and the app is locked by the revert.
    expect((await services.runtime.listContainers(APP)).filter((c) => c.deploymentId === d.v3!.id)).toEqual([]);
    expect((await services.store.current(APP))?.id).toBe(d.v2!.id);
    expect((await services.locks.get(APP))?.reason).toMatch(new RegExp(`^reverted #${d.v3.id}: `));
  }, 400_000);

  it('a v4 whose task on one node exits 0 inside its window is reverted as on one host (an exit is a failure); 0 failed requests', async () => {
    await services.locks.clear(APP);
    const loop = loopFromHub([publicUrl]);
    const v4 = deployWatched(repo.commits[3]!);
    await v4.watching;
    d.v4 = await v4.done;
    await sleep(300);
    const seen = await loop.stop();
    expect(d.v4).toMatchObject({ status: 'reverted', errorCode: 'watch_failed' });
    expect(d.v4.error).toMatch(new RegExp(`^Reverted #${d.v4.id}: .*exited.* during the watch window; traffic went back to #${d.v2!.id}\\.$`));
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(20);
    expect(await upstreams()).toEqual(addrs().map((a) => `${a}:${d.v2!.upstreamPort}`).sort());
    await answersOn(d.v2!.upstreamPort!, 'v2');
    expect((await services.store.current(APP))?.id).toBe(d.v2!.id);
  }, 400_000);
});
