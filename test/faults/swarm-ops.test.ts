import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEvent } from '../../src/cli/output.js';
import type { AppSpec } from '../../src/domain/apps.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { forwardToUnixSocket } from '../helpers/ns-unix-forward.js';
import { type HubCaddy, startCaddyInNamespace } from '../helpers/hub-caddy.js';
import { haveDocker } from '../helpers/infra.js';
import { startFreshConnectionLoop } from '../helpers/ns-fresh-loop.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { type SwarmCluster, startSwarm } from '../helpers/swarm-cluster.js';
import { takeSwarmLock } from '../helpers/swarm-lock.js';

const enabled = await haveDocker();
const APP = 'i-swarm-ops';
/** Caddy's public port for the app, inside the hub namespace. */
const PUBLIC_PORT = 18614;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Listens on every address of the node (Caddy reaches tasks on node addresses); `delay` makes it slow to listen. */
const startScript = (body: string, delay = 0) =>
  `${delay ? `/bin/busybox sleep ${delay}\n` : ''}echo "starting ${body} on port $PORT"\nexec /bin/busybox httpd -f -v -p $PORT -h /www\n`;

/**
 * Day-two operations on a real three-node Swarm (test/helpers/swarm-cluster.ts), deckhand driving the manager:
 * `status` per node (3 tasks on 3 nodes, then a node down), a node lost during a deploy reported as it happens and in
 * the result, retention removing the right services, registry tags and node images, and a rollback to a pruned
 * version rebuilt from git and pushed. Network rule: every request to a node, Caddy's public port or the registry is
 * sent from INSIDE the hub namespace (the request loops, ns-http, and the deckhand CLI run with `nsenter --net=`);
 * the in-process services only talk to Unix sockets (the engines, Caddy's admin API) and Postgres.
 */
describe.skipIf(!enabled)('status, retention and the rebuild rollback on a three-node Swarm', () => {
  let release: (() => void) | undefined;
  let cluster: SwarmCluster;
  let caddy: HubCaddy;
  let repo: TestRepo;
  let services: TestServices;
  let cliDir: string;
  let pgForward: { stop(): Promise<void> } | undefined;
  const d: Record<string, Deployment> = {};
  const publicUrl = `http://127.0.0.1:${PUBLIC_PORT}/`;

  const addrs = () => cluster.nodes.map((n) => n.addr);
  const deploy = (ref: string, onStarted?: (deployment: Deployment) => void) => services.deploys.deploy({ app: APP, ref, actor: 'U-ivy', trigger: 'cli', ...(onStarted ? { onStarted } : {}) });
  const status = () => services.status.app(services.apps.get(APP)!, { window: false });
  const auth = () => ({ username: cluster.registry!.username, password: cluster.registry!.password });
  /** The registry's own answers, asked from the hub namespace with its credentials. */
  const registryTags = async () => ((JSON.parse((await cluster.httpGet(`http://${cluster.registry!.host}/v2/${APP}/tags/list`, { basicAuth: auth() })).body) as { tags: string[] | null }).tags ?? []).sort();
  const manifestStatus = async (tag: string) => (await cluster.httpGet(`http://${cluster.registry!.host}/v2/${APP}/manifests/${tag}`, { basicAuth: auth() })).status;
  const imagesOn = async (index: number) => (await cluster.nodes[index]!.docker.listImages()).map((i) => i.Id);
  const serviceExists = async (id: string) => cluster.manager.docker.getService(id).inspect().then(() => true, () => false);
  const answersOn = async (port: number, nodes: string[], body: string) => {
    for (const addr of nodes) expect(await cluster.httpGet(`http://${addr}:${port}/`), addr).toEqual({ status: 200, body });
  };
  const nodeState = async (addr: string) => (await cluster.manager.docker.listNodes()).find((n) => n.Status?.Addr === addr || n.ManagerStatus?.Addr?.startsWith(`${addr}:`))?.Status?.State;
  const waitNode = async (addr: string, state: string) => {
    for (let i = 0; i < 300 && (await nodeState(addr)) !== state; i++) await sleep(500);
    expect(await nodeState(addr)).toBe(state);
  };
  /** The deckhand CLI inside the hub namespace, on the same database and cluster as the in-process services. */
  const cli = (args: string[], extra: Record<string, string> = {}) => {
    const env = {
      DATABASE_URL: services.testDb.url!,
      DECKHAND_DATA_DIR: join(cliDir, 'data'),
      DECKHAND_CONFIG: join(cliDir, 'deckhand.yml'),
      DECKHAND_RUNTIME: 'swarm',
      DOCKER_SOCKET: cluster.manager.socket,
      DECKHAND_PROXY: 'caddy',
      DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl,
      DECKHAND_DOCKER_TIMEOUT: '30s',
      DECKHAND_REGISTRY_AUTH: JSON.stringify({ [cluster.registry!.host]: auth() }),
      DECKHAND_REGISTRY_INSECURE: cluster.registry!.host,
      ...extra,
    };
    return runCliProcess(args, env, { netns: cluster.hub });
  };

  beforeAll(async () => {
    release = await takeSwarmLock();
    cluster = await startSwarm({ nodes: 3, registry: true });
    await cluster.runInHub(['sysctl', '-q', '-w', 'net.ipv4.tcp_migrate_req=1']);
    caddy = await startCaddyInNamespace(cluster.hub);
    // The CLI runs in the hub namespace: Postgres's Unix socket is forwarded to the hub's own 127.0.0.1:5432.
    pgForward = await forwardToUnixSocket(cluster.hub, 5432, '/var/run/postgresql/.s.PGSQL.5432');
    repo = createTestRepo([
      { body: 'v1', files: { 'start.sh': startScript('v1') } },
      { body: 'v2', files: { 'start.sh': startScript('v2') } },
      // Slow to listen, so a node stopped right after its service is created is gone before its task is healthy.
      { body: 'v3', files: { 'start.sh': startScript('v3', 3) } },
      { body: 'v4', files: { 'start.sh': startScript('v4') } },
    ]);
    const registry = cluster.registry!;
    const healthcheck = ['/bin/busybox', 'wget', '-q', '-O', '-', '{url}'];
    const app: AppSpec = {
      ...gitApp(APP, repo.url, PUBLIC_PORT, { healthTimeoutMs: 150_000, watchMs: 0, stopTimeoutMs: 2000 }),
      registry: `${registry.host}/${APP}`,
      target: { swarm: { replicas: 3, constraints: [], healthcheck } },
      retention: { keepLast: 1, keepDays: 0 },
    };
    cliDir = mkdtempSync(join(tmpdir(), 'deckhand-swarm-ops-'));
    writeFileSync(
      join(cliDir, 'deckhand.yml'),
      `apps:
  ${APP}:
    source: { git: "${repo.url}", branch: main }
    registry: ${app.registry}
    run: { port: ${PUBLIC_PORT}, health: /healthz, healthTimeout: 150s, watch: 0, stopTimeout: 2s, env: { GREETING: hi } }
    target: { swarm: { replicas: 3, healthcheck: ${JSON.stringify(healthcheck)} } }
    retention: { keepLast: 1, keepDays: 0 }
`,
    );
    services = await createTestServices({
      apps: [app],
      caddyAdminUrl: caddy.adminUrl,
      env: {
        DECKHAND_RUNTIME: 'swarm',
        DOCKER_SOCKET: cluster.manager.socket,
        DECKHAND_PROXY: 'caddy',
        DECKHAND_DOCKER_TIMEOUT: '30s',
        DECKHAND_REGISTRY_AUTH: JSON.stringify({ [registry.host]: auth() }),
      },
    });
  }, 16 * 60_000);

  afterAll(async () => {
    await services?.dispose();
    await caddy?.stop();
    await pgForward?.stop();
    await cluster?.teardown();
    repo?.cleanup();
    if (cliDir) rmSync(cliDir, { recursive: true, force: true });
    release?.();
  }, 180_000);

  it('status shows the serving version’s 3 tasks on 3 nodes (in-process, and the CLI’s text and --json from the hub)', async () => {
    d.v1 = await deploy(repo.commits[0]!);
    d.v2 = await deploy(repo.commits[1]!);
    expect(d.v2, d.v2.error ?? '').toMatchObject({ status: 'succeeded' });
    const s = await status();
    expect(s.placement).toMatchObject({ wanted: 3, serving: 3, downNodes: [] });
    expect(s.placement!.tasks.map((t) => [t.addr, t.nodeState, t.state, t.serving]).sort()).toEqual(addrs().map((a) => [a, 'ready', 'running', true]));
    expect(s.health.note).toBeUndefined();
    const text = await cli(['status', APP]);
    expect(text.code, text.output).toBe(0);
    expect(text.output).toMatch(/tasks: {7}3 of 3 task\(s\) serving/);
    for (const addr of addrs()) expect(text.output).toContain(`    ${addr}: running, healthy`);
    const json = await cli(['status', APP, '--json']);
    const parsed = JSON.parse(json.output) as { placement: { serving: number; tasks: Array<{ addr: string }> }; health: { state: string } };
    expect(parsed.health.state).toBe('healthy');
    expect(parsed.placement.serving).toBe(3);
    expect(parsed.placement.tasks.map((t) => t.addr).sort()).toEqual(addrs());
  }, 400_000);

  it('a node stopped during the v3 deploy: the progress says it went away as it happens and in the result', async () => {
    const node3 = cluster.nodes[2]!;
    const survivors = addrs().slice(0, 2);
    const printed: string[] = [];
    const unsubscribe = services.bus.subscribe((event) => event.type !== 'log' && printed.push(formatEvent(event)));
    const loop = startFreshConnectionLoop(cluster.hub, [publicUrl]);
    let id: number | undefined;
    const deploying = deploy(repo.commits[2]!, (deployment) => (id = deployment.id));
    for (let i = 0; i < 1200; i++) {
      if (id !== undefined && (await services.runtime.listContainers(APP)).some((c) => c.deploymentId === id)) break;
      await sleep(100);
    }
    await node3.stop();
    d.v3 = await deploying;
    await sleep(300);
    const seen = await loop.stop();
    unsubscribe();
    expect(d.v3, d.v3.error ?? '').toMatchObject({ status: 'succeeded' });
    expect(seen.failures).toEqual([]);
    const lost = `Node ${node3.addr} went away`;
    // The CLI's progress lines (the same formatter the CLI prints with), as the deploy ran.
    expect(printed.some((line) => line.includes(`[nodes] ${lost}`)), printed.join('\n')).toBe(true);
    const result = printed.find((line) => line.includes('[result] succeeded'))!;
    expect(result).toContain(`${lost} during the deploy: completed on ${survivors.join(', ')}; 1 task(s) wait for a node`);
    // Recorded: the notice and the result, for the thread and `deckhand logs`.
    const events = await services.events.list(d.v3.id);
    expect(events.some((e) => e.kind === 'phase.nodes' && e.message.startsWith(lost))).toBe(true);
    expect(events.find((e) => e.kind === 'result')?.message).toMatch(new RegExp(`^succeeded: ${lost} during the deploy`));
    await answersOn(d.v3.upstreamPort!, survivors, 'v3');
  }, 400_000);

  it('with the node down, status says so and shows the app serving from the two others (0 failed requests)', async () => {
    const node3 = cluster.nodes[2]!;
    const survivors = addrs().slice(0, 2);
    await waitNode(node3.addr, 'down');
    const loop = startFreshConnectionLoop(cluster.hub, [publicUrl], 'v3');
    const s = await status();
    const text = await cli(['status', APP]);
    await sleep(300);
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(5);
    expect(s.serving?.id).toBe(d.v3!.id);
    expect(s.placement).toMatchObject({ wanted: 3, serving: 2, downNodes: [node3.addr] });
    expect(s.placement!.tasks.filter((t) => t.serving).map((t) => t.addr).sort()).toEqual(survivors);
    expect(s.health.note).toBe(`2 of 3 task(s) serving; node ${node3.addr} is down; 1 task(s) missing (1 waiting for a node).`);
    expect(text.output).toContain(`node ${node3.addr} is down`);
    expect(text.output).toMatch(/no node: pending: no suitable node/);
  }, 300_000);

  it('prune (the CLI in the hub namespace) removes v2’s service, registry tag and node images; keeps the serving, previous and pinned versions', async () => {
    const node3 = cluster.nodes[2]!;
    await node3.start();
    await waitNode(node3.addr, 'ready');
    d.v4 = await deploy(repo.commits[3]!);
    expect(d.v4, d.v4.error ?? '').toMatchObject({ status: 'succeeded' });
    await services.pins.pin({ app: APP, deploymentId: d.v1!.id, pinnedBy: 'U-ivy', pinnedAt: new Date() });
    const v2Image = d.v2!.imageId!;
    for (const index of [0, 1, 2]) expect(await imagesOn(index), `node ${index + 1} pulled v2`).toContain(v2Image);
    expect(await registryTags()).toEqual([d.v1!, d.v2!, d.v3!, d.v4].map((x) => `deploy-${x.id}`).sort());
    // Node 2's engine is given, node 3's is not: its image is reported as left there.
    const n2 = cluster.nodes[1]!;
    const run = await cli(['prune', '--app', APP], { DECKHAND_SWARM_NODE_ENGINES: `${n2.addr}=unix://${n2.socket}` });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`deleted from the registry: ${d.v2!.registryRef}`);
    expect(run.output).toContain(`node images removed on: ${n2.addr} (1)`);
    expect(run.output).toContain(`images left on ${node3.addr}: 1 (no engine for it in DECKHAND_SWARM_NODE_ENGINES)`);
    expect(run.output).toMatch(/kept 3 image\(s\): .*pinned 1/);
    // Services: v2's is gone; v1 (pinned), v3 (previous) are kept scaled to 0, v4 serves.
    expect(await serviceExists(d.v2!.containerId!)).toBe(false);
    for (const kept of [d.v1!, d.v3!, d.v4]) expect(await serviceExists(kept.containerId!), `#${kept.id}`).toBe(true);
    // The registry: v2's tag and manifest are gone, the others stay.
    expect(await registryTags()).toEqual([d.v1!, d.v3!, d.v4].map((x) => `deploy-${x.id}`).sort());
    expect(await manifestStatus(`deploy-${d.v2!.id}`)).toBe(404);
    // Node images, read from each node's own engine: gone on the manager and node 2, left on node 3 as reported.
    expect(await imagesOn(0)).not.toContain(v2Image);
    expect(await imagesOn(1)).not.toContain(v2Image);
    expect(await imagesOn(2)).toContain(v2Image);
    for (const index of [0, 1]) for (const kept of [d.v1!, d.v3!, d.v4]) expect(await imagesOn(index), `node ${index + 1} keeps #${kept.id}`).toContain(kept.imageId);
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v4' });
  }, 500_000);

  it('rollback to the pruned v2 rebuilds from git on the manager, pushes, and a service from the new digest serves: 0 failed requests', async () => {
    const plan = await services.rollbacks.plan(APP, d.v2!.id);
    expect(plan.artifact.source).toBe('rebuild_from_source');
    const loop = startFreshConnectionLoop(cluster.hub, [publicUrl]);
    const { deployment } = await services.rollbacks.rollback(APP, d.v2!.id, 'U-ivy');
    await sleep(300);
    const seen = await loop.stop();
    expect(deployment, deployment.error ?? '').toMatchObject({ status: 'succeeded', rollbackOf: d.v2!.id, rollbackSource: 'rebuild_from_source', registryRef: `${cluster.registry!.host}/${APP}:deploy-${deployment.id}` });
    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(5);
    expect(await registryTags()).toContain(`deploy-${deployment.id}`);
    const spec = (await cluster.manager.docker.getService(deployment.containerId!).inspect()).Spec;
    expect(spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${cluster.registry!.host}/${APP}@sha256:[0-9a-f]{64}$`));
    expect(await cluster.httpGet(publicUrl)).toEqual({ status: 200, body: 'v2' });
    await answersOn(deployment.upstreamPort!, addrs(), 'v2');
  }, 400_000);
});
