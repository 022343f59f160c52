import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeRouter } from '../../src/adapters/runtime-router.js';
import { createRegistryAccess } from '../../src/compose-registry.js';
import { createRuntime } from '../../src/compose-runtime.js';
import { loadAppsFile } from '../../src/config/apps-file.js';
import { loadEnv } from '../../src/config/env.js';
import { catalogOf } from '../../src/domain/apps.js';
import type { Runtime } from '../../src/domain/ports.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { type HubCaddy, startCaddyInNamespace } from '../helpers/hub-caddy.js';
import { haveDocker } from '../helpers/infra.js';
import { startFreshConnectionLoop } from '../helpers/ns-fresh-loop.js';
import type { LoopResult } from '../helpers/ns-http.js';
import { type SwarmCluster, startSwarm } from '../helpers/swarm-cluster.js';
import { takeSwarmLock } from '../helpers/swarm-lock.js';

const enabled = await haveDocker();
const API = 'mx-api';
const WEB = 'mx-web';
/** Caddy's public ports, inside the manager node's namespace (nothing listens on them in the machine's own). */
const API_PORT = 18631;
const WEB_PORT = 18632;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A Swarm task is reached on its NODE address: the web listens on every address of its node. */
const webStart = (body: string) => `echo "starting ${body} on port $PORT"\nexec /bin/busybox httpd -f -v -p $PORT -h /www\n`;

interface Row {
  id: number;
  status: string;
  rollbackOf: number | null;
  rollbackSource: string | null;
  error: string | null;
}

/**
 * ONE deckhand, two runtimes (issue 13): `mx-api` has no target (DECKHAND_RUNTIME is unset: the Docker host) and
 * `mx-web` has `target: { swarm: { replicas: 3 } }`, on a real three-node Swarm (test/helpers/swarm-cluster.ts).
 * deckhand is the real CLI process run INSIDE the manager node's namespace (`nsenter --net=`), with the manager's
 * engine as DOCKER_SOCKET, an embedded store in a temporary directory and Caddy in that namespace too (admin on a
 * Unix socket). So the host app's containers (host networking on the manager) answer on that namespace's 127.0.0.1,
 * where deckhand probes them, and Caddy there reaches both them and the Swarm nodes' addresses. The request loops
 * run in that namespace as well: no packet goes to the machine's own interfaces or to an address the test did not create.
 */
describe.skipIf(!enabled)('one deckhand, apps on the Docker host and on a three-node Swarm', () => {
  let release: (() => void) | undefined;
  let cluster: SwarmCluster;
  let caddy: HubCaddy;
  let api: TestRepo;
  let web: TestRepo;
  let dir: string;
  let env: Record<string, string>;
  const d: Record<string, Row> = {};
  const apiUrl = `http://127.0.0.1:${API_PORT}/`;
  const webUrl = `http://127.0.0.1:${WEB_PORT}/`;

  const manager = (): Docker => cluster.manager.docker;
  /** The real CLI in the manager's namespace; resolves its --json answer (stdout), failing with its output. */
  const cli = async (...args: string[]): Promise<Row> => {
    const { code, output, stdout } = await runCliProcess([...args, '--json', '--actor', 'U-mixed'], env, { netns: cluster.manager.ns });
    expect(code, output).toBe(0);
    return JSON.parse(stdout) as Row;
  };
  /** Both public ports under request loops on fresh connections, from inside the manager's namespace. */
  const loops = () => {
    const apiLoop = startFreshConnectionLoop(cluster.manager.ns, [apiUrl]);
    const webLoop = startFreshConnectionLoop(cluster.manager.ns, [webUrl]);
    return async (): Promise<{ api: LoopResult; web: LoopResult }> => {
      await sleep(300);
      return { api: await apiLoop.stop(), web: await webLoop.stop() };
    };
  };
  const get = (url: string) => cluster.httpGet(url, { from: cluster.manager.ns });
  const containersOf = (docker: Docker, app: string, deploymentId?: number) =>
    docker.listContainers({ all: true, filters: { label: [`deckhand.app=${app}`, ...(deploymentId ? [`deckhand.deployment=${deploymentId}`] : [])] } });
  const servicesOf = (app: string, deploymentId?: number) =>
    manager().listServices({ filters: { label: [`deckhand.app=${app}`, ...(deploymentId ? [`deckhand.deployment=${deploymentId}`] : [])] } });
  /** The nodes running a task of the service (Swarm's word), one entry per task. */
  const taskNodes = async (serviceId: string) => {
    const tasks = await manager().listTasks({ filters: { service: [serviceId], 'desired-state': ['running'] } });
    return tasks.filter((t) => t.Status?.State === 'running').map((t) => t.NodeID as string);
  };

  /** `mx-api` ran as plain containers on the manager's engine only; no service of it exists anywhere. */
  const expectOnHost = async (deploymentId: number) => {
    const [container] = await containersOf(manager(), API, deploymentId);
    expect(container, `a container of ${API} #${deploymentId}`).toBeDefined();
    expect(container!.State).toBe('running');
    expect(container!.HostConfig.NetworkMode).toBe('host');
    expect(container!.Labels['com.docker.swarm.service.id']).toBeUndefined();
    expect(await servicesOf(API)).toEqual([]);
    for (const worker of cluster.nodes.slice(1)) expect(await containersOf(worker.docker, API)).toEqual([]);
  };
  /** `mx-web` ran as a service of its deployment with one running task on each of the three nodes. */
  const expectOnSwarm = async (deploymentId: number) => {
    const [service] = await servicesOf(WEB, deploymentId);
    expect(service, `a service of ${WEB} #${deploymentId}`).toBeDefined();
    const nodes = await taskNodes(service!.ID);
    expect(nodes).toHaveLength(3);
    expect(new Set(nodes).size).toBe(3);
    return service!;
  };

  beforeAll(async () => {
    release = await takeSwarmLock();
    cluster = await startSwarm({ nodes: 3, registry: true });
    // Caddy reopens its listener on each config change; without this per-namespace setting the kernel resets the
    // few connections queued on the old socket (README: Traffic switch).
    await cluster.run(0, ['sysctl', '-q', '-w', 'net.ipv4.tcp_migrate_req=1']);
    caddy = await startCaddyInNamespace(cluster.manager.ns);
    api = createTestRepo([{ body: 'api-v1' }, { body: 'api-v2' }]);
    web = createTestRepo([
      { body: 'web-v1', files: { 'start.sh': webStart('web-v1') } },
      { body: 'web-v2', files: { 'start.sh': webStart('web-v2') } },
    ]);
    dir = mkdtempSync(join(tmpdir(), 'deckhand-mixed-'));
    const registry = cluster.registry!;
    const config = join(dir, 'deckhand.yml');
    writeFileSync(
      config,
      `apps:
  ${API}:
    source: { git: "${api.url}" }
    run: { port: ${API_PORT}, health: /healthz, healthTimeout: 30s, watch: 0, stopTimeout: 2s }
  ${WEB}:
    source: { git: "${web.url}" }
    run: { port: ${WEB_PORT}, health: /healthz, healthTimeout: 150s, watch: 0, stopTimeout: 2s }
    registry: ${registry.host}/${WEB}
    target:
      swarm: { replicas: 3, healthcheck: [/bin/busybox, wget, -q, -O, "-", "{url}"] }
`,
    );
    env = {
      DATABASE_URL: '',
      DECKHAND_DATA_DIR: join(dir, 'data'),
      DECKHAND_CONFIG: config,
      DOCKER_SOCKET: cluster.manager.socket,
      DECKHAND_PROXY: 'caddy',
      DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl,
      DECKHAND_DOCKER_TIMEOUT: '30s',
      DECKHAND_REGISTRY_AUTH: JSON.stringify({ [registry.host]: { username: registry.username, password: registry.password } }),
    };
  }, 16 * 60_000);

  afterAll(async () => {
    await caddy?.stop();
    await cluster?.teardown();
    api?.cleanup();
    web?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    release?.();
  }, 180_000);

  it('v1 of each: mx-api as a plain container on the Docker host, mx-web as a service with a task on every node', async () => {
    d.api1 = await cli('deploy', API, api.commits[0]!);
    expect(d.api1).toMatchObject({ status: 'succeeded' });
    d.web1 = await cli('deploy', WEB, web.commits[0]!);
    expect(d.web1).toMatchObject({ status: 'succeeded' });
    await expectOnHost(d.api1.id);
    await expectOnSwarm(d.web1.id);
    expect(await get(apiUrl)).toEqual({ status: 200, body: 'api-v1' });
    expect(await get(webUrl)).toEqual({ status: 200, body: 'web-v1' });
  }, 400_000);

  it('v2 of each under request loops on both public ports: 0 failed requests; each kept its own runtime', async () => {
    const stop = loops();
    d.api2 = await cli('deploy', API, api.commits[1]!);
    d.web2 = await cli('deploy', WEB, web.commits[1]!);
    const seen = await stop();
    expect(d.api2).toMatchObject({ status: 'succeeded' });
    expect(d.web2).toMatchObject({ status: 'succeeded' });
    expect(seen.api.failures).toEqual([]);
    expect(seen.web.failures).toEqual([]);
    expect(seen.api.ok).toBeGreaterThan(20);
    expect(seen.web.ok).toBeGreaterThan(20);
    await expectOnHost(d.api2.id);
    await expectOnSwarm(d.web2.id);
    expect(await get(apiUrl)).toEqual({ status: 200, body: 'api-v2' });
    expect(await get(webUrl)).toEqual({ status: 200, body: 'web-v2' });
    // The previous versions are kept the way their runtime keeps them: a stopped container, a service scaled to 0.
    const [api1] = await containersOf(manager(), API, d.api1!.id);
    expect(api1?.State).toBe('exited');
    const [web1] = await servicesOf(WEB, d.web1!.id);
    expect(web1?.Spec?.Mode?.Replicated?.Replicas).toBe(0);
  }, 600_000);

  it('the router deckhand builds finds ids recorded by other processes in their own runtime, and calls an unknown id gone', async () => {
    // Built as the CLI builds it, in this process, over the manager's socket (a file: no packet to a node address).
    const config = loadEnv(env);
    const specs = loadAppsFile(env.DECKHAND_CONFIG!);
    const runtime: Runtime = await createRuntime(config, catalogOf(specs), (await createRegistryAccess(config, specs)).credentials, manager());
    expect(runtime).toBeInstanceOf(RuntimeRouter);
    // The same apps against a WORKER's engine: refused at start, naming the Swarm app.
    const credentials = (await createRegistryAccess(config, specs)).credentials;
    await expect(createRuntime(config, catalogOf(specs), credentials, cluster.nodes[1]!.docker)).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/Apps "mx-web" run on Swarm .* is a Swarm worker: point DOCKER_SOCKET\/DOCKER_HOST at a Swarm manager/),
    });
    const [apiContainer] = await containersOf(manager(), API, d.api2!.id);
    const [webService] = await servicesOf(WEB, d.web2!.id);
    // Never seen by this router: each is asked of every runtime and found in exactly one.
    expect(await runtime.inspectContainer(apiContainer!.Id)).toMatchObject({ id: apiContainer!.Id, running: true, deploymentId: d.api2!.id });
    expect(await runtime.inspectContainer(webService!.ID)).toMatchObject({ id: webService!.ID, running: true, deploymentId: d.web2!.id, endpoints: expect.arrayContaining([expect.objectContaining({ host: cluster.nodes[1]!.addr })]) });
    expect((await runtime.listContainers(API)).map((c) => c.id)).toContain(apiContainer!.Id);
    expect((await runtime.listContainers(WEB)).map((c) => c.id)).toContain(webService!.ID);
    const judges = (runtime as RuntimeRouter).judgesHealth.bind(runtime);
    expect([judges(API), judges(WEB)]).toEqual([false, true]);
    expect(await runtime.freePort(WEB)).toBeGreaterThanOrEqual(20000);
    // An id no runtime knows is gone: nothing is guessed, nothing is touched.
    const unknown = 'f'.repeat(64);
    expect(await runtime.inspectContainer(unknown)).toBeUndefined();
    await expect(runtime.remove(unknown)).resolves.toBeUndefined();
    await expect(runtime.stop(unknown)).resolves.toBeUndefined();
    await expect(runtime.restart(unknown)).rejects.toMatchObject({ code: 'not_found' });
    await expect(runtime.logsTail(unknown, 5)).rejects.toMatchObject({ code: 'not_found' });
    expect(await runtime.waitHealthy!(unknown, { timeoutMs: 1000, onAttempt: () => undefined })).toMatchObject({ ok: false });
    await expect(runtime.freePort()).rejects.toMatchObject({ code: 'internal' });
    // What runs is untouched.
    expect(await get(apiUrl)).toEqual({ status: 200, body: 'api-v2' });
    expect(await get(webUrl)).toEqual({ status: 200, body: 'web-v2' });
  }, 120_000);

  it('status of both through the same CLI: healthy, each judged the way its runtime allows', async () => {
    const { code, output, stdout } = await runCliProcess(['status', '--json'], env, { netns: cluster.manager.ns });
    expect(code, output).toBe(0);
    const statuses = JSON.parse(stdout) as Array<{ app: string; health: { state: string; probes: Array<{ where: string }> }; serving: { id: number } | null }>;
    const byApp = Object.fromEntries(statuses.map((s) => [s.app, s]));
    expect(byApp[API]).toMatchObject({ serving: { id: d.api2!.id }, health: { state: 'healthy' } });
    expect(byApp[WEB]).toMatchObject({ serving: { id: d.web2!.id }, health: { state: 'healthy' } });
    // deckhand probes the host app's upstream on 127.0.0.1; the Swarm app's health is Swarm's (no upstream probe).
    expect(byApp[API]!.health.probes.map((p) => p.where)).toEqual(['public', 'upstream']);
    expect(byApp[WEB]!.health.probes.map((p) => p.where)).toEqual(['public']);
    // The router asks the runtime that runs each version for its placement: the Swarm app's tasks node by node, none
    // for the host app.
    const placed = statuses as unknown as Array<{ app: string; placement?: { serving: number; tasks: Array<{ addr: string }> } }>;
    expect(placed.find((s) => s.app === API)!.placement).toBeUndefined();
    const web = placed.find((s) => s.app === WEB)!.placement!;
    expect(web.serving).toBe(3);
    expect(new Set(web.tasks.map((t) => t.addr)).size).toBe(3);
  }, 120_000);

  it('a rollback of each to v1 takes its own runtime’s path under the loops: a container again, the retained service scaled back up', async () => {
    const web1Service = (await servicesOf(WEB, d.web1!.id))[0]!;
    const stop = loops();
    const apiBack = await cli('rollback', API, String(d.api1!.id), '--yes');
    const webBack = await cli('rollback', WEB, String(d.web1!.id), '--yes');
    const seen = await stop();
    expect(apiBack).toMatchObject({ status: 'succeeded', rollbackOf: d.api1!.id, rollbackSource: 'reuse_image' });
    expect(webBack).toMatchObject({ status: 'succeeded', rollbackOf: d.web1!.id, rollbackSource: 'reuse_image' });
    expect(seen.api.failures).toEqual([]);
    expect(seen.web.failures).toEqual([]);
    expect(seen.api.ok).toBeGreaterThan(10);
    expect(seen.web.ok).toBeGreaterThan(10);
    // mx-api: a plain container on the Docker host again.
    await expectOnHost(apiBack.id);
    // mx-web: the SAME service as v1, relabelled for the rollback and scaled back up on every node.
    const service = await expectOnSwarm(webBack.id);
    expect(service.ID).toBe(web1Service.ID);
    expect(await get(apiUrl)).toEqual({ status: 200, body: 'api-v1' });
    expect(await get(webUrl)).toEqual({ status: 200, body: 'web-v1' });
  }, 600_000);
});
