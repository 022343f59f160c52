import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { type AuthRegistry, startAuthRegistry } from './auth-registry.js';
import { NETNS_PREFIX, type NamespaceNet, type NodeNamespace, createNamespaceNet, deleteNamespaces, killAll, ourNamespaces, processesMentioning } from './netns.js';
import { type NsHttpAnswer, type NsRequestLoop, nsHttpGet, startRequestLoop } from './ns-http.js';
import { SWARM_LOCK, holdsSwarmLock } from './swarm-lock.js';
import { type SwarmNodeDaemon, prepareNodeDaemon, unmountUnder } from './swarm-node.js';

/**
 * A real Docker Swarm of N nodes on this one machine, for tests: each node is its own dockerd inside its own
 * network namespace (test/helpers/swarm-node.ts), linked over a bridge that exists only in a hub namespace
 * (test/helpers/netns.ts). Node 1 is the manager (`swarmInit` advertising its namespace address); the others join
 * as workers: one manager has no Raft elections to wait for, and losing a worker (what the node-loss tests do)
 * never costs the Swarm its quorum. Optionally a registry with htpasswd auth runs in the manager's namespace.
 *
 * Swarm's ingress routing mesh needs IPVS, which this kernel lacks: services must use host networking (or host-mode
 * published ports) and are reached on each node's own address.
 *
 * One cluster at a time per machine: namespaces and addresses are fixed (dkswarm-*, 10.213.0.0/24), and a start
 * first removes whatever a crashed earlier run left. A test file takes the Swarm lock (test/helpers/swarm-lock.ts)
 * before startSwarm, which refuses to start without it, and releases it in its afterAll.
 */
export interface SwarmNode extends SwarmNodeDaemon {
  index: number;
}

export interface SwarmCluster {
  nodes: SwarmNode[];
  manager: SwarmNode;
  /** The namespace holding the bridge; a neutral place (not a node) to send requests from. */
  hub: NodeNamespace;
  registry: AuthRegistry | undefined;
  /** Runs argv inside node `nodeIndex`'s namespace (0-based); resolves with stdout. */
  run(nodeIndex: number, argv: string[], timeoutMs?: number): Promise<string>;
  /** Runs argv inside the hub namespace. */
  runInHub(argv: string[], timeoutMs?: number): Promise<string>;
  /** GET from inside a namespace (the hub by default). */
  httpGet(url: string, options?: { from?: NodeNamespace; basicAuth?: { username: string; password: string }; timeoutMs?: number }): Promise<NsHttpAnswer>;
  /** A request loop inside a namespace (the hub by default) over `urls`; stop() gives ok/failed counts. */
  requestLoop(urls: string[], expectedBody?: string, from?: NodeNamespace): NsRequestLoop;
  /** Stops every daemon, removes namespaces, mounts and directories. Safe to call twice. */
  teardown(): Promise<void>;
}

const ROOT_PREFIX = `/tmp/${NETNS_PREFIX}-`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Removes what an earlier (crashed) run left: its processes, namespaces, mounts and directories. */
export async function cleanSwarmLeftovers(): Promise<void> {
  const roots = readdirSync('/tmp')
    .filter((entry) => entry.startsWith(`${NETNS_PREFIX}-`))
    .map((entry) => join('/tmp', entry));
  for (const root of roots) killAll(processesMentioning(root));
  await deleteNamespaces(ourNamespaces());
  for (const root of roots) {
    unmountUnder(root);
    rmSync(root, { recursive: true, force: true });
  }
}

async function waitForNodesReady(docker: Docker, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const nodes = await docker.listNodes().catch(() => []);
    const ready = nodes.filter((n) => n.Status?.State === 'ready');
    if (ready.length >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${ready.length} of ${count} swarm nodes ready: ${JSON.stringify(nodes.map((n) => [n.Description?.Hostname, n.Status]))}`);
    await sleep(500);
  }
}

export async function startSwarm(options: { nodes?: number; registry?: boolean } = {}): Promise<SwarmCluster> {
  const count = options.nodes ?? 3;
  const withRegistry = options.registry ?? true;
  // The cleanup below kills any cluster on the machine: only the file holding the lock may start one.
  if (!holdsSwarmLock()) throw new Error(`take the test Swarm lock first (takeSwarmLock() from test/helpers/swarm-lock.ts, ${SWARM_LOCK})`);
  await cleanSwarmLeftovers();
  const root = mkdtempSync(ROOT_PREFIX);
  let net: NamespaceNet | undefined;
  let registry: AuthRegistry | undefined;
  const daemons: SwarmNode[] = [];
  let tornDown = false;

  const teardown = async () => {
    if (tornDown) return;
    tornDown = true;
    await registry?.stop().catch(() => undefined);
    // A clean stop lets each dockerd stop its containers and unmount; whatever stays is swept below.
    await Promise.all(daemons.map((d) => d.stop().catch(() => undefined)));
    killAll(processesMentioning(root));
    await net?.teardown();
    await deleteNamespaces(ourNamespaces());
    unmountUnder(root);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    net = await createNamespaceNet(count);
    const managerNs = net.nodes[0]!;
    const registryHost = `${managerNs.addr}:5000`;
    for (const [index, ns] of net.nodes.entries()) {
      // Object.assign keeps the daemon's `running` getter (a spread would freeze it).
      daemons.push(Object.assign(prepareNodeDaemon(ns, join(root, `n${index + 1}`), withRegistry ? [registryHost] : []), { index }));
    }
    await Promise.all(daemons.map((d) => d.start()));
    if (withRegistry) registry = await startAuthRegistry(managerNs, join(root, 'registry'));

    const manager = daemons[0]!;
    await manager.docker.swarmInit({ ListenAddr: `${manager.addr}:2377`, AdvertiseAddr: manager.addr, ForceNewCluster: false });
    const swarm = await manager.docker.swarmInspect();
    for (const worker of daemons.slice(1)) {
      await worker.docker.swarmJoin({
        ListenAddr: `${worker.addr}:2377`,
        AdvertiseAddr: worker.addr,
        RemoteAddrs: [`${manager.addr}:2377`],
        JoinToken: swarm.JoinTokens.Worker,
      });
    }
    await waitForNodesReady(manager.docker, count);
  } catch (error) {
    const logs = daemons.map((d) => `--- ${d.name}\n${d.logTail(800)}`).join('\n');
    await teardown();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }

  const namespaces = net.nodes;
  const hub = net.hub;
  const exec = net.exec;
  return {
    nodes: daemons,
    manager: daemons[0]!,
    hub,
    registry,
    run: (nodeIndex, argv, timeoutMs) => exec(namespaces[nodeIndex]!, argv, timeoutMs),
    runInHub: (argv, timeoutMs) => exec(hub, argv, timeoutMs),
    httpGet: (url, o = {}) => nsHttpGet(o.from ?? hub, url, o),
    requestLoop: (urls, expectedBody, from) => startRequestLoop(from ?? hub, urls, expectedBody),
    teardown,
  };
}
