import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwarmRuntime, type SwarmRuntimeOptions } from '../../src/adapters/swarm/swarm-runtime.js';
import type { Endpoint, RuntimeHealth } from '../../src/domain/ports.js';
import { haveDocker } from '../helpers/infra.js';
import { buildBusyboxImage } from '../helpers/own-dockerd.js';
import { type SwarmCluster, startSwarm } from '../helpers/swarm-cluster.js';
import { takeSwarmLock } from '../helpers/swarm-lock.js';
import { buildAndPush, swarmAppStartScript } from '../helpers/swarm-service.js';

const enabled = await haveDocker();
const APP = 'h-swarm';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Swarm runtime adapter on a real three-node Swarm (test/helpers/swarm-cluster.ts): versions as services pulled
 * by digest with registry auth, health judged by the tasks' HEALTHCHECK, scale to 0 and back, a broken version, a
 * release one-off, registry trouble, and a node lost during a deploy. One cluster for the file, held under the
 * machine's Swarm lock (test/helpers/swarm-lock.ts) so the harness suite never runs at the same time.
 */
describe.skipIf(!enabled)('swarm runtime', () => {
  let release: (() => void) | undefined;
  let cluster: SwarmCluster;
  let runtime: SwarmRuntime;
  let options: SwarmRuntimeOptions;
  let v1Image: string;
  let v2Image: string;
  const ports = { v1: 0, v2: 0, v3: 0, v5: 0 };
  const ids = { v1: '', v2: '', v3: '', v4: '', v5: '' };

  const manager = () => cluster.manager.docker;
  const addrs = () => cluster.nodes.map((n) => n.addr);
  const urls = (port: number, nodes = addrs()) => nodes.map((addr) => `http://${addr}:${port}/`);
  const hosts = (endpoints: Endpoint[]) => endpoints.map((e) => e.host).sort();

  async function waitHealthy(rt: SwarmRuntime, id: string, timeoutMs = 90_000): Promise<{ health: RuntimeHealth; attempts: Array<[boolean, string]> }> {
    const attempts: Array<[boolean, string]> = [];
    const health = await rt.waitHealthy(id, { timeoutMs, onAttempt: (_n, ok, detail) => attempts.push([ok, detail]) });
    return { health, attempts };
  }

  async function answers(port: number, body: string): Promise<void> {
    for (const url of urls(port)) expect(await cluster.httpGet(url)).toEqual({ status: 200, body });
  }

  async function buildPushed(tag: string, body: string, startScript = swarmAppStartScript(body)): Promise<string> {
    const local = `${APP}-build:${tag}`;
    const id = await buildBusyboxImage(manager(), local, { body, startScript });
    await runtime.push(id, `${cluster.registry!.host}/${APP}/web:${tag}`, () => undefined);
    return id;
  }

  beforeAll(async () => {
    release = await takeSwarmLock();
    cluster = await startSwarm({ nodes: 3, registry: true });
    // NODE: the node's Swarm id, from a Swarm template (the test image writes it to /node).
    options = { registryAuth: cluster.registry!.authconfig, templateEnv: { NODE: '{{.Node.ID}}' }, defaultTarget: { replicas: 3, healthPath: '/' }, health: { startPeriodMs: 2000 }, pollMs: 250, stopGraceMs: 2000 };
    runtime = new SwarmRuntime(manager(), options);
    // v1 through the harness (built and pushed on node 1, the manager); the runtime is given the image ID, as the
    // deploy pipeline gives it, and must find the digest itself.
    const v1 = await buildAndPush(manager(), cluster.registry!, `${APP}/web`, 'v1');
    v1Image = (await manager().getImage(v1.reference).inspect()).Id;
  }, 16 * 60_000);

  afterAll(async () => {
    await cluster?.teardown();
    release?.();
  }, 120_000);

  it('a version is one service with a task per node, pulled by digest, reported healthy with its three endpoints', async () => {
    ports.v1 = await runtime.freePort();
    expect(ports.v1).toBeGreaterThanOrEqual(20000);
    expect(ports.v1).toBeLessThanOrEqual(29999);
    const started = await runtime.start({ app: APP, deploymentId: 1, image: v1Image, port: ports.v1, env: { GREETING: 'hi {{.Node.ID}}' } });
    ids.v1 = started.id;
    expect(started).toMatchObject({ name: `deckhand-${APP}-1`, running: true, deploymentId: 1, port: ports.v1, process: 'web' });

    const spec = (await manager().getService(ids.v1).inspect()).Spec;
    const container = spec.TaskTemplate.ContainerSpec;
    expect(container.Image).toMatch(new RegExp(`^${cluster.registry!.host}/${APP}/web@sha256:[0-9a-f]{64}$`));
    // The app's env stays literal (Swarm would expand a template in it); deckhand's template env is expanded.
    expect(container.Env).toEqual(expect.arrayContaining([`PORT=${ports.v1}`, 'GREETING=hi {{"{{"}}.Node.ID}}', 'NODE={{.Node.ID}}']));
    expect(container.Healthcheck.Test).toEqual(['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${ports.v1}/`]);
    expect(spec.TaskTemplate.Placement.MaxReplicas).toBe(1);
    const labels = { 'deckhand.app': APP, 'deckhand.deployment': '1', 'deckhand.port': String(ports.v1), 'deckhand.process': 'web', 'deckhand.replicas': '3' };
    expect(spec.Labels).toMatchObject(labels);
    expect(container.Labels).toMatchObject(labels);

    const { health, attempts } = await waitHealthy(runtime, ids.v1);
    expect(health).toEqual({ ok: true, endpoints: addrs().map((host) => ({ host, port: ports.v1 })) });
    expect(attempts.at(-1)).toEqual([true, '3 of 3 tasks running and healthy']);

    // Each endpoint answers from the task on that node (NODE is the node's Swarm id, written to /node at start).
    const nodes = await manager().listNodes();
    for (const node of cluster.nodes) {
      expect(await cluster.httpGet(`http://${node.addr}:${ports.v1}/`)).toEqual({ status: 200, body: 'v1' });
      const nodeId = nodes.find((n) => n.Status?.Addr === node.addr)?.ID;
      expect((await cluster.httpGet(`http://${node.addr}:${ports.v1}/node`)).body.trim()).toBe(nodeId);
    }
    const state = await runtime.inspectContainer(ids.v1);
    expect(state).toMatchObject({ running: true, status: 'running', restartCount: 0, exitCode: null, endpoints: health.ok ? health.endpoints : [] });
    const tasks = await runtime.tasks(ids.v1);
    expect(tasks.map((t) => [t.addr, t.state, t.nodeState]).sort()).toEqual(addrs().map((a) => [a, 'running', 'ready']));
  }, 150_000);

  it('a second version runs alongside on its own port; the app lists both', async () => {
    v2Image = await buildPushed('v2', 'v2');
    ports.v2 = await runtime.freePort();
    expect(ports.v2).not.toBe(ports.v1);
    ids.v2 = (await runtime.start({ app: APP, deploymentId: 2, image: v2Image, port: ports.v2, env: {} })).id;
    const { health } = await waitHealthy(runtime, ids.v2);
    expect(health.ok && hosts(health.endpoints)).toEqual(addrs());
    await answers(ports.v2, 'v2');
    await answers(ports.v1, 'v1');
    const listed = await runtime.listContainers(APP);
    expect(listed.map((c) => [c.deploymentId, c.running, c.endpoints?.length]).sort()).toEqual([[1, true, 3], [2, true, 3]]);
    expect(await runtime.listContainers('h-swarm-other')).toEqual([]);
  }, 150_000);

  it('a process is one service of N replicas (no port, no healthcheck); the call for replica 2 returns the same service', async () => {
    const rt = new SwarmRuntime(manager(), { ...options, defaultTarget: { replicas: 3, processReplicas: { worker: 2 } } });
    const request = { app: APP, deploymentId: 2, image: v2Image, port: null, env: {}, process: 'worker', settings: { command: ['/bin/busybox', 'sleep', '600'] } };
    const first = await rt.start({ ...request, replica: 1 });
    const second = await rt.start({ ...request, replica: 2 });
    expect(second.id).toBe(first.id);
    expect(first).toMatchObject({ name: `deckhand-${APP}-2_worker`, process: 'worker', port: null, deploymentId: 2 });
    const spec = (await manager().getService(first.id).inspect()).Spec;
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck).toBeUndefined();
    expect(spec.TaskTemplate.ContainerSpec.Args).toEqual(['/bin/busybox', 'sleep', '600']);
    const { health } = await waitHealthy(rt, first.id);
    expect(health).toEqual({ ok: true, endpoints: [] });
    const running = (await rt.tasks(first.id)).filter((t) => t.state === 'running');
    expect(new Set(running.map((t) => t.addr)).size).toBe(2);
    expect((await rt.listContainers(APP)).filter((c) => c.process === 'worker').map((c) => [c.deploymentId, c.running])).toEqual([[2, true]]);
    await rt.remove(first.id);
  }, 120_000);

  it('stop scales a version to 0 (the service stays); restart brings its three tasks back healthy', async () => {
    await runtime.stop(ids.v1);
    const stopped = await runtime.inspectContainer(ids.v1);
    expect(stopped).toMatchObject({ running: false, status: 'exited', endpoints: [] });
    for (let i = 0; i < 60; i++) {
      const left = await Promise.all(urls(ports.v1).map((url) => cluster.httpGet(url, { timeoutMs: 1000 }).then(() => url, () => undefined)));
      if (left.every((u) => u === undefined)) break;
      await sleep(500);
    }
    for (const url of urls(ports.v1)) await expect(cluster.httpGet(url, { timeoutMs: 1000 })).rejects.toThrow(/no answer/);
    await answers(ports.v2, 'v2');

    await runtime.restart(ids.v1);
    const { health } = await waitHealthy(runtime, ids.v1);
    expect(health.ok && hosts(health.endpoints)).toEqual(addrs());
    await answers(ports.v1, 'v1');
    expect((await manager().getService(ids.v1).inspect()).Spec.Mode.Replicated.Replicas).toBe(3);
  }, 150_000);

  it('a broken version (its health path answers 404) fails with the tasks’ reason while v2 answers on every node', async () => {
    const broken = new SwarmRuntime(manager(), { ...options, defaultTarget: { replicas: 3, healthPath: '/missing' } });
    const loop = cluster.requestLoop(urls(ports.v2), 'v2');
    ports.v3 = await runtime.freePort();
    ids.v3 = (await broken.start({ app: APP, deploymentId: 3, image: v1Image, port: ports.v3, env: {} })).id;
    const { health, attempts } = await waitHealthy(broken, ids.v3);
    expect(health.ok).toBe(false);
    expect(!health.ok && health.reason).toMatch(/task\(s\) failed: .*unhealthy container/);
    expect(attempts.every(([ok]) => !ok)).toBe(true);
    const state = await broken.inspectContainer(ids.v3);
    expect(state?.restartCount).toBeGreaterThanOrEqual(3);
    await broken.remove(ids.v3);
    const result = await loop.stop();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(10);
  }, 150_000);

  it('a release one-off runs once as a service, streams its output and ends with its exit code; then it is gone', async () => {
    const lines: string[] = [];
    const { exitCode } = await runtime.runOnce({ app: APP, deploymentId: 4, image: v1Image, argv: ['/bin/busybox', 'sh', '-c', 'echo "migrating $DB"; exit 3'], env: { DB: 'db-1 {{.Node.ID}}' }, onLog: (l) => lines.push(l) });
    expect(exitCode).toBe(3);
    expect(lines).toContain('migrating db-1 {{.Node.ID}}');
    expect((await manager().listServices()).map((s) => s.Spec?.Name)).not.toContain(`deckhand-release-${APP}-4`);
    expect((await runtime.listContainers(APP)).map((c) => c.deploymentId).sort()).toEqual([1, 2]);

    // Cancelled while it runs: the one-off service is removed, its task with it.
    const controller = new AbortController();
    const running = runtime.runOnce({ app: APP, deploymentId: 9, image: v1Image, argv: ['/bin/busybox', 'sleep', '600'], env: {}, onLog: () => undefined, signal: controller.signal });
    let seen = false;
    for (let i = 0; i < 40 && !seen; i++) {
      seen = (await manager().listServices()).some((s) => s.Spec?.Name === `deckhand-release-${APP}-9`);
      if (!seen) await sleep(100);
    }
    expect(seen).toBe(true);
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'cancelled' });
    expect((await manager().listServices()).map((s) => s.Spec?.Name)).not.toContain(`deckhand-release-${APP}-9`);
  }, 120_000);

  it('an image never pushed cannot start; without registry auth the workers cannot pull and the wait says so', async () => {
    const local = await buildBusyboxImage(manager(), `${APP}-local:1`, { body: 'local' });
    await expect(runtime.start({ app: APP, deploymentId: 5, image: local, port: 24000, env: {} })).rejects.toMatchObject({ code: 'start_failed', message: expect.stringMatching(/needs a registry: add `registry:`/) });
    expect((await runtime.listContainers(APP)).length).toBe(2);

    const fresh = await buildPushed('v4', 'v4');
    const noAuth = new SwarmRuntime(manager(), { ...options, registryAuth: undefined });
    ids.v4 = (await noAuth.start({ app: APP, deploymentId: 6, image: fresh, port: await runtime.freePort(), env: {} })).id;
    const { health } = await waitHealthy(noAuth, ids.v4);
    expect(!health.ok && health.reason).toMatch(/no such image|no basic auth credentials|unauthorized/i);
    expect(!health.ok && health.reason).toMatch(/registry auth/);
    await noAuth.remove(ids.v4);
    expect(await runtime.inspectContainer(ids.v4)).toBeUndefined();
  }, 150_000);

  it('exec is refused clearly; logs come from the service; remove removes', async () => {
    await expect(runtime.exec(ids.v2, ['/bin/true'], 1000)).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringMatching(/not supported on Swarm/) });
    const logs = await runtime.logsTail(ids.v2, 1000);
    expect(logs.filter((l) => l === `starting v2 on port ${ports.v2}`)).toHaveLength(3); // one per task
    await runtime.remove(ids.v1);
    await runtime.remove(ids.v1); // already gone: no error
    expect(await runtime.inspectContainer(ids.v1)).toBeUndefined();
    expect((await runtime.listContainers(APP)).map((c) => c.deploymentId)).toEqual([2]);
  }, 60_000);

  it('a port something else holds on one node fails the version there; the wait names the port and the node', async () => {
    const port = await runtime.freePort();
    const node2 = cluster.nodes[1]!;
    const holder = spawn('nsenter', [`--net=${node2.ns.path}`, '/bin/busybox', 'httpd', '-f', '-p', String(port), '-h', '/tmp'], { stdio: 'ignore' });
    try {
      let up = false;
      for (let i = 0; i < 50 && !up; i++) up = await cluster.httpGet(`http://${node2.addr}:${port}/`, { timeoutMs: 1000 }).then(() => true, () => false);
      expect(up).toBe(true);
      const id = (await runtime.start({ app: APP, deploymentId: 8, image: v1Image, port, env: {} })).id;
      const { health } = await waitHealthy(runtime, id);
      expect(!health.ok && health.reason).toMatch(new RegExp(`^Port ${port} is already in use on ${node2.addr.replace(/\./g, '\\.')} .*Address (already )?in use.*non-zero exit`));
      await runtime.remove(id);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 120_000);

  it('a node lost during a deploy: the new version completes on the two remaining nodes, v2 keeps answering there', async () => {
    // v5 takes 3 s to listen, so node 3 is gone before its task there could turn healthy.
    const v5Image = await buildPushed('v5', 'v5', `/bin/busybox sleep 3\n${swarmAppStartScript('v5')}`);
    const survivors = addrs().slice(0, 2);
    const node3 = cluster.nodes[2]!;
    const loop = cluster.requestLoop(urls(ports.v2, survivors), 'v2');
    ports.v5 = await runtime.freePort();
    ids.v5 = (await runtime.start({ app: APP, deploymentId: 7, image: v5Image, port: ports.v5, env: {} })).id;
    await node3.stop();
    const { health, attempts } = await waitHealthy(runtime, ids.v5, 120_000);
    // The note says why it serves from two: node 3 seen going away during the wait (or already down at its start).
    const note = new RegExp(`^Node ${node3.addr.replaceAll('.', '\\.')} (went away during the deploy|is down): completed on ${survivors.join(', ').replaceAll('.', '\\.')}; 1 task\\(s\\) wait for a node$`);
    expect(health).toEqual({ ok: true, endpoints: survivors.map((host) => ({ host, port: ports.v5 })), note: expect.stringMatching(note) });
    expect(attempts.at(-1)?.[1]).toMatch(/2 of 3 tasks running and healthy.*wait for a node.*serving from 2 node/);
    for (const url of urls(ports.v5, survivors)) expect(await cluster.httpGet(url)).toEqual({ status: 200, body: 'v5' });

    // What status shows: v2's task on node 3 is not serving (its node is down); v5's third task waits for a node.
    const v2Tasks = await runtime.tasks(ids.v2);
    expect(v2Tasks.find((t) => t.addr === node3.addr)).toMatchObject({ nodeState: 'down' });
    expect((await runtime.inspectContainer(ids.v2))?.endpoints?.map((e) => e.host)).toEqual(survivors);
    const v5Tasks = await runtime.tasks(ids.v5);
    expect(v5Tasks.filter((t) => t.state === 'running').map((t) => t.addr).sort()).toEqual(survivors);
    expect(v5Tasks.some((t) => t.state === 'pending' && /no suitable node/.test(t.message))).toBe(true);

    // The other policy, all replicas or nothing: with node 3 down, a new version fails at once, naming why.
    const strict = new SwarmRuntime(manager(), { ...options, nodeLoss: 'fail' });
    const strictId = (await strict.start({ app: APP, deploymentId: 10, image: v5Image, port: await runtime.freePort(), env: {} })).id;
    const strictHealth = await waitHealthy(strict, strictId);
    expect(strictHealth.health).toEqual({ ok: false, reason: expect.stringMatching(/^only [0-2] of 3 tasks can run: no suitable node/) });
    await strict.remove(strictId);

    const result = await loop.stop();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(10);
  }, 240_000);
});
