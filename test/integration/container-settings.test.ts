import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/adapters/docker/docker-runtime.js';
import type { ContainerSettings } from '../../src/domain/apps.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { buildBusyboxImage } from '../helpers/own-dockerd.js';
import { freePort } from '../helpers/ports.js';

const enabled = await haveDocker();
const BB = '/bin/busybox';
const MiB = 1024 ** 2;

/**
 * Container settings of issue 14 on the real engine: volumes (named and host, read-only), memory and CPU limits,
 * command and user, process containers beside the web one, the release one-off, exec and a stop's grace.
 */
describe.skipIf(!enabled)('container settings on Docker', () => {
  const app = `a14-settings-${process.pid}`;
  const volume = `a14-vol-${process.pid}`;
  const preexisting = `a14-pre-${process.pid}`;
  const engine = docker();
  const runtime = new DockerRuntime(engine);
  let image: string;
  let hostDir: string;

  beforeAll(async () => {
    image = await buildBusyboxImage(engine, `${app}:1`, { labels: { 'deckhand.app': app } });
    hostDir = mkdtempSync(join(tmpdir(), 'a14-host-'));
    chmodSync(hostDir, 0o755);
    writeFileSync(join(hostDir, 'conf.txt'), 'from-the-host');
    await engine.createVolume({ Name: preexisting, Labels: { owner: 'someone-else' } });
  }, 60_000);

  afterAll(async () => {
    await removeAppArtifacts([app]);
    const { Volumes } = await engine.listVolumes({ filters: { label: [`deckhand.app=${app}`] } });
    for (const v of [...(Volumes ?? []).map((v) => v.Name), volume, preexisting]) await engine.getVolume(v).remove({ force: true }).catch(() => undefined);
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  const settings = (more: Partial<ContainerSettings> = {}): ContainerSettings => ({
    volumes: [`${volume}:/data`, `${hostDir}:/conf:ro`, `${preexisting}:/pre`],
    memoryBytes: 64 * MiB,
    cpus: 0.5,
    ...more,
  });
  const inspect = (id: string) => engine.getContainer(id).inspect();
  const untilServing = async (port: number, path: string) => {
    for (let i = 0; i < 100; i += 1) {
      const answer = await get(port, path).catch(() => undefined);
      if (answer) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`nothing answered on port ${port}`);
  };
  /** The kernel's limits as the container sees them (cgroup v1 or v2), read through exec. */
  const limitsInside = async (id: string) => {
    const script = 'cd /sys/fs/cgroup; if [ -f memory.max ]; then cat memory.max cpu.max; else cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us; fi';
    const { exitCode, output } = await runtime.exec(id, [BB, 'sh', '-c', script], 10_000);
    expect(exitCode).toBe(0);
    return output.join(' ');
  };

  let webId: string;
  let workerId: string;
  let port: number;

  it('starts the web with command, user, volumes and limits; Docker and the kernel apply them', async () => {
    port = await freePort();
    const command = [BB, 'sh', '-c', `exec ${BB} httpd -f -p 127.0.0.1:$PORT -h /conf`];
    const state = await runtime.start({ app, deploymentId: 1, image, port, env: { A: 'web' }, settings: settings({ command, user: '1000:1000' }) });
    webId = state.id;
    expect(state).toMatchObject({ name: `deckhand-${app}-1`, running: true, deploymentId: 1, port, process: 'web' });
    expect(state.replica).toBeUndefined();

    const info = await inspect(webId);
    expect(info.Name).toBe(`/deckhand-${app}-1`);
    expect(info.Config.Cmd).toEqual(command);
    expect(info.Config.User).toBe('1000:1000');
    expect(info.Config.Env).toEqual(expect.arrayContaining(['A=web', `PORT=${port}`]));
    expect(info.Config.Labels).toMatchObject({ 'deckhand.app': app, 'deckhand.deployment': '1', 'deckhand.process': 'web', 'deckhand.port': String(port) });
    expect(info.Config.Labels).not.toHaveProperty('deckhand.replica');
    expect(info.HostConfig.Binds).toEqual(settings().volumes);
    expect(info.HostConfig.Memory).toBe(64 * MiB);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);

    // The command ran as given, as uid 1000, serving the read-only host directory on $PORT.
    expect(await untilServing(port, '/conf.txt')).toEqual({ status: 200, body: 'from-the-host' });
    const uid = await runtime.exec(webId, [BB, 'id', '-u'], 10_000);
    expect(uid).toEqual({ exitCode: 0, output: ['1000'] });
    // cgroup v1 here: 64 MiB, and a 50 ms quota per 100 ms period (half a CPU); v2 says "67108864 50000 100000".
    expect((await limitsInside(webId)).split(/\s+/)).toEqual([String(64 * MiB), '50000', '100000']);
  });

  it('creates a missing named volume with the app label, and leaves an existing one as it was', async () => {
    const created = await engine.getVolume(volume).inspect();
    expect(created.Labels).toEqual({ 'deckhand.app': app, 'deckhand.volume': volume });
    const untouched = await engine.getVolume(preexisting).inspect();
    expect(untouched.Labels).toEqual({ owner: 'someone-else' });
  });

  it('starts a process container: its own name and labels, no port, no PORT, the shared volumes and limits', async () => {
    const command = [BB, 'sh', '-c', `echo "worker-$A-\${PORT:-noport}" >> /data/log; exec ${BB} sleep 1000`];
    const state = await runtime.start({ app, deploymentId: 1, image, port: null, env: { A: 'w' }, process: 'worker', replica: 2, settings: settings({ command }) });
    workerId = state.id;
    expect(state).toMatchObject({ name: `deckhand-${app}-1.worker.2`, running: true, deploymentId: 1, port: null, process: 'worker', replica: 2 });

    const info = await inspect(workerId);
    expect(info.Config.Cmd).toEqual(command);
    expect(info.Config.Labels).toMatchObject({ 'deckhand.process': 'worker', 'deckhand.replica': '2', 'deckhand.deployment': '1' });
    expect(info.Config.Labels).not.toHaveProperty('deckhand.port');
    expect(info.Config.Env!.some((e) => e.startsWith('PORT='))).toBe(false);
    expect(info.HostConfig).toMatchObject({ Binds: settings().volumes, Memory: 64 * MiB, NanoCpus: 500_000_000 });

    const listed = await runtime.listContainers(app);
    expect(listed.map((c) => [c.name, c.process, c.replica ?? null, c.port]).sort()).toEqual([
      [`deckhand-${app}-1`, 'web', null, port],
      [`deckhand-${app}-1.worker.2`, 'worker', 2, null],
    ]);
    // The web and the worker of one deployment live side by side.
    expect((await runtime.inspectContainer(webId))?.running).toBe(true);
  });

  it('mounts the host path read-only', async () => {
    const write = await runtime.exec(workerId, [BB, 'sh', '-c', 'echo x > /conf/new'], 10_000);
    expect(write.exitCode).not.toBe(0);
    expect(write.output.join('\n')).toMatch(/Read-only file system/);
  });

  it('the release one-off gets volumes, user and limits (not the command): it reads what the worker wrote', async () => {
    const lines: string[] = [];
    const script = 'cat /data/log; id -u; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max';
    const result = await runtime.runOnce({ app, deploymentId: 1, image, argv: [BB, 'sh', '-c', script], env: { A: 'r' }, settings: settings({ command: ['never-run'], user: '4321', memoryBytes: 32 * MiB }), onLog: (l) => lines.push(l) });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(['worker-w-noport', '4321', String(32 * MiB)]);
  });

  it('a named volume outlives its containers; a new container reads the file', async () => {
    await runtime.remove(workerId);
    await runtime.remove(webId);
    expect(await runtime.listContainers(app)).toEqual([]);
    expect((await engine.getVolume(volume).inspect()).Labels).toMatchObject({ 'deckhand.app': app });
    const reader = await runtime.start({ app, deploymentId: 2, image, port: null, env: {}, process: 'reader', replica: 1, settings: settings({ command: [BB, 'sleep', '1000'] }) });
    expect(await runtime.exec(reader.id, [BB, 'cat', '/data/log'], 10_000)).toEqual({ exitCode: 0, output: ['worker-w-noport'] });
    await runtime.remove(reader.id);
  });

  it("replaces its own leftover of the same name, but never another app's container", async () => {
    const name = `deckhand-${app}-3.worker.1`;
    const stranger = await engine.createContainer({ name, Image: image, Cmd: [BB, 'sleep', '1000'], Labels: { 'deckhand.app': `${app}-other` } });
    try {
      await expect(runtime.start({ app, deploymentId: 3, image, port: null, env: {}, process: 'worker', replica: 1, settings: { command: [BB, 'sleep', '1000'] } })).rejects.toMatchObject({ code: 'start_failed' });
      expect((await stranger.inspect()).Config.Labels['deckhand.app']).toBe(`${app}-other`);
    } finally {
      await stranger.remove({ force: true });
    }
    const first = await runtime.start({ app, deploymentId: 3, image, port: null, env: {}, process: 'worker', replica: 1, settings: { command: [BB, 'sleep', '1000'] } });
    const second = await runtime.start({ app, deploymentId: 3, image, port: null, env: {}, process: 'worker', replica: 1, settings: { command: [BB, 'sleep', '1000'] } });
    expect(second.id).not.toBe(first.id);
    expect(await runtime.inspectContainer(first.id)).toBeUndefined();
    await runtime.remove(second.id);
  });

  describe('exec', () => {
    let id: string;
    beforeAll(async () => {
      id = (await runtime.start({ app, deploymentId: 4, image, port: null, env: {}, process: 'exec', replica: 1, settings: { command: [BB, 'sleep', '1000'] } })).id;
    });

    it('says the exit code and the output', async () => {
      expect(await runtime.exec(id, [BB, 'sh', '-c', 'echo fine'], 10_000)).toEqual({ exitCode: 0, output: ['fine'] });
      expect(await runtime.exec(id, [BB, 'sh', '-c', 'echo broken >&2; exit 3'], 10_000)).toEqual({ exitCode: 3, output: ['broken'] });
    });

    it('a program the image does not have is a non-zero exit code, not an error', async () => {
      const missing = await runtime.exec(id, ['/usr/bin/no-such-program'], 10_000);
      expect(missing.exitCode).toBeGreaterThan(0);
      expect(missing.output.join('\n')).toMatch(/no-such-program/);
    });

    it('a hung command is -1 after the limit, and is killed with its children', async () => {
      const hung = await runtime.exec(id, [BB, 'sh', '-c', `${BB} sleep 613; echo never`], 1_000);
      expect(hung.exitCode).toBe(-1);
      expect(hung.output.at(-1)).toMatch(/still running after 1s; killed/);
      const top = await engine.getContainer(id).top();
      const commands = top.Processes.map((p: string[]) => p.at(-1)).join('\n');
      expect(commands).toContain('sleep 1000');
      expect(commands).not.toContain('613');
    });

    it('a container that is not running is -1 with the reason', async () => {
      await runtime.stop(id, 0);
      expect(await runtime.exec(id, [BB, 'true'], 10_000)).toEqual({ exitCode: -1, output: [`container ${id.slice(0, 12)} is not running`] });
    });
  });

  it('stop gives a container that ignores SIGTERM its grace, then kills it, even past the call timeout', async () => {
    const impatient = new DockerRuntime(engine, { timeoutMs: 1_000 });
    const command = [BB, 'sh', '-c', `trap "" TERM; echo ready; ${BB} sleep 1000`];
    const stubborn = await impatient.start({ app, deploymentId: 5, image, port: null, env: {}, process: 'stubborn', replica: 1, settings: { command } });
    for (let i = 0; i < 50 && !(await impatient.logsTail(stubborn.id, 5)).includes('ready'); i += 1) await new Promise((r) => setTimeout(r, 100));
    // 2.5 s of grace, rounded up to Docker's whole seconds, is longer than the 1 s each call may take: still no timeout.
    await impatient.stop(stubborn.id, 2_500);
    const after = await inspect(stubborn.id);
    expect(after.State.Running).toBe(false);
    expect(after.State.ExitCode).toBe(137); // SIGKILL: it ignored TERM and was killed after the grace
  });
});
