import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveDocker } from '../helpers/infra.js';
import { NETNS_PREFIX, netnsPath, ourNamespaces, processesMentioning } from '../helpers/netns.js';
import { type SwarmCluster, startSwarm } from '../helpers/swarm-cluster.js';
import { takeSwarmLock } from '../helpers/swarm-lock.js';
import { mountsUnder } from '../helpers/swarm-node.js';
import { buildAndPush, createWebService, pullImage, pushImage, waitForRunningTasks } from '../helpers/swarm-service.js';

/** The Swarm needs what the single-host suites need (dockerd and its binaries), plus root for namespaces. */
const enabled = await haveDocker();

const PORT = 18731;
const hostLinks = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => l.split(':')[1]?.trim() ?? '').filter(Boolean).sort();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Swarm test harness itself: three dockerds in network namespaces joined into one Swarm, a registry with
 * htpasswd auth in the manager's namespace, a host-networked service pulled by digest with registry auth on every
 * node, node loss and return, and a teardown that leaves nothing behind (also after a crashed earlier run).
 */
describe.skipIf(!enabled)('swarm harness', () => {
  let cluster: SwarmCluster;
  let release: (() => void) | undefined;
  let linksBefore: string[];
  let image: { repository: string; digest: string; reference: string };
  const stale: ChildProcess[] = [];

  beforeAll(async () => {
    // One test Swarm per machine: wait while another file (swarm-runtime.test.ts) holds it.
    release = await takeSwarmLock();
    linksBefore = hostLinks();
    // What a crashed earlier run leaves: one of our namespaces with a process in it, and a run directory whose
    // path a process still names. startSwarm must clean both before it builds the cluster.
    // (A real crashed run may have left it already: then that one serves.)
    if (!ourNamespaces().includes(`${NETNS_PREFIX}-n1`)) execFileSync('ip', ['netns', 'add', `${NETNS_PREFIX}-n1`]);
    stale.push(spawn('nsenter', [`--net=${netnsPath(`${NETNS_PREFIX}-n1`)}`, '/bin/busybox', 'sleep', '600'], { stdio: 'ignore' }));
    mkdirSync(`/tmp/${NETNS_PREFIX}-crashed/n1`, { recursive: true });
    stale.push(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', `/tmp/${NETNS_PREFIX}-crashed/n1`], { stdio: 'ignore' }));
    await sleep(200);
    cluster = await startSwarm({ nodes: 3 });
  }, 16 * 60_000);

  afterAll(async () => {
    await cluster?.teardown();
    for (const child of stale) child.kill('SIGKILL');
    release?.();
  }, 120_000);

  it('cleans what a crashed run left before starting', () => {
    expect(stale.map((child) => child.signalCode)).toEqual(['SIGKILL', 'SIGKILL']);
    expect(existsSync(`/tmp/${NETNS_PREFIX}-crashed`)).toBe(false);
  });

  it('runs three nodes, one manager and two workers, each on its own namespace address', async () => {
    const nodes = await cluster.manager.docker.listNodes();
    expect(nodes.map((n) => n.Status?.Addr).sort()).toEqual(['10.213.0.1', '10.213.0.2', '10.213.0.3']);
    expect(nodes.filter((n) => n.Spec?.Role === 'manager').map((n) => n.Status?.Addr)).toEqual(['10.213.0.1']);
    expect(nodes.every((n) => n.Status?.State === 'ready')).toBe(true);
    // the addresses exist only inside the namespaces
    expect(execFileSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' })).not.toContain('10.213.0.');
    expect(await cluster.run(1, ['ip', '-o', 'addr', 'show', 'eth0'])).toContain('10.213.0.2/24');
  });

  it('the registry refuses without credentials (401) and answers with them', async () => {
    const registry = cluster.registry!;
    const anonymous = await cluster.httpGet(`http://${registry.host}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('UNAUTHORIZED');
    const wrong = await cluster.httpGet(`http://${registry.host}/v2/`, { basicAuth: { username: registry.username, password: 'wrong' } });
    expect(wrong.status).toBe(401);
    expect((await cluster.httpGet(`http://${registry.host}/v2/`, { basicAuth: registry })).status).toBe(200);
  });

  it('pushes an image built on node 1 only with credentials; another node cannot pull it without them', async () => {
    const node1 = cluster.nodes[0]!.docker;
    image = await buildAndPush(node1, cluster.registry!, 'dkswarm/web', 'swarm-hello');
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    await node1.getImage(`${image.repository}:1`).tag({ repo: image.repository, tag: 'anonymous' });
    await expect(pushImage(node1, image.repository, 'anonymous')).rejects.toThrow(/no basic auth credentials|unauthorized|authentication required/i);

    const node2 = cluster.nodes[1]!.docker;
    await expect(pullImage(node2, image.reference)).rejects.toThrow(/no basic auth credentials|unauthorized|authentication required/i);
    expect(await node2.listImages()).toEqual([]);
  });

  it('without registry auth the workers cannot pull: only node 1, which built the image, runs a task', async () => {
    const manager = cluster.manager.docker;
    await createWebService(manager, { name: 'dkswarm-noauth', image: image.reference, port: PORT + 1, replicas: 3 });
    const workers = new Set((await manager.listNodes()).filter((n) => n.Spec?.Role === 'worker').map((n) => n.ID));
    let tasks = await manager.listTasks({ filters: { service: ['dkswarm-noauth'] } });
    for (let i = 0; i < 120 && !tasks.some((t) => workers.has(t.NodeID ?? '') && t.Status?.State === 'rejected'); i++) {
      await sleep(250);
      tasks = await manager.listTasks({ filters: { service: ['dkswarm-noauth'] } });
    }
    const rejected = tasks.filter((t) => workers.has(t.NodeID ?? '') && t.Status?.State === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]!.Status?.Err).toMatch(/no such image|no basic auth credentials|unauthorized/i);
    expect(tasks.filter((t) => workers.has(t.NodeID ?? '') && t.Status?.State === 'running')).toEqual([]);
    await manager.getService('dkswarm-noauth').remove();
    for (const worker of cluster.nodes.slice(1)) expect(await worker.docker.listImages()).toEqual([]);
  }, 60_000);

  it('a service by digest with registry auth runs one task per node, each answering on its node address', async () => {
    const manager = cluster.manager.docker;
    await createWebService(manager, { name: 'dkswarm-web', image: image.reference, port: PORT, replicas: 3, authconfig: cluster.registry!.authconfig });
    const tasks = await waitForRunningTasks(manager, 'dkswarm-web', 3);
    expect(new Set(tasks.map((t) => t.nodeId)).size).toBe(3);

    const swarmNodes = await manager.listNodes();
    for (const node of cluster.nodes) {
      const answer = await cluster.httpGet(`http://${node.addr}:${PORT}/`);
      expect(answer).toEqual({ status: 200, body: 'swarm-hello' });
      // /node is written by the task at start from {{.Node.ID}}: the answer comes from the task on that node
      const nodeId = swarmNodes.find((n) => n.Status?.Addr === node.addr)?.ID;
      expect((await cluster.httpGet(`http://${node.addr}:${PORT}/node`)).body.trim()).toBe(nodeId);
      // every node holds the image by its digest: the workers pulled it with the service's registry auth
      const images = await node.docker.listImages({ digests: true });
      expect(images.flatMap((i) => i.RepoDigests ?? [])).toContain(image.reference);
    }
  }, 120_000);

  it('when node 3 stops, nodes 1 and 2 answer every request; when it starts again, it serves again', async () => {
    const manager = cluster.manager.docker;
    const node3 = cluster.nodes[2]!;
    const loop = cluster.requestLoop(cluster.nodes.slice(0, 2).map((n) => `http://${n.addr}:${PORT}/`), 'swarm-hello');
    // the same loop against node 3 alone does see the loss (the loop can fail)
    const loop3 = cluster.requestLoop([`http://${node3.addr}:${PORT}/`], 'swarm-hello');
    // Both loops are answered before the fault (a node process starting in a namespace may take a while under load)
    await Promise.all([loop.answered(), loop3.answered()]);
    await node3.stop();
    expect(node3.running).toBe(false);
    await expect(cluster.httpGet(`http://${node3.addr}:${PORT}/`, { timeoutMs: 1000 })).rejects.toThrow(/no answer/);

    let state = '';
    for (let i = 0; i < 120 && state !== 'down'; i++) {
      state = (await manager.listNodes()).find((n) => n.Status?.Addr === node3.addr)?.Status?.State ?? '';
      if (state !== 'down') await sleep(500);
    }
    expect(state).toBe('down');
    const lost = await loop3.stop();
    expect(lost.ok).toBeGreaterThan(0);
    expect(lost.failed).toBeGreaterThan(0);

    await node3.start();
    await waitForRunningTasks(manager, 'dkswarm-web', 3);
    let answer = await cluster.httpGet(`http://${node3.addr}:${PORT}/`).catch(() => undefined);
    for (let i = 0; i < 60 && answer?.status !== 200; i++) {
      await sleep(500);
      answer = await cluster.httpGet(`http://${node3.addr}:${PORT}/`).catch(() => undefined);
    }
    expect(answer).toEqual({ status: 200, body: 'swarm-hello' });
    const result = await loop.stop();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(20);
  }, 180_000);

  it('teardown leaves no namespace, daemon, mount, veth or directory', async () => {
    const roots = cluster.nodes.map((n) => n.root);
    expect(roots.every((root) => processesMentioning(root).length > 0)).toBe(true);
    await cluster.teardown();
    expect(ourNamespaces()).toEqual([]);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(NETNS_PREFIX);
    for (const root of roots) {
      expect(processesMentioning(root)).toEqual([]);
      expect(mountsUnder(root)).toEqual([]);
      expect(existsSync(root)).toBe(false);
    }
    expect(processesMentioning(`/tmp/${NETNS_PREFIX}-`)).toEqual([]);
    expect(readdirSync('/tmp').filter((entry) => entry.startsWith(`${NETNS_PREFIX}-`))).toEqual([]);
    expect(hostLinks()).toEqual(linksBefore);
  }, 120_000);
});
