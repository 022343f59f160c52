import type Docker from 'dockerode';
import type { AuthRegistry } from './auth-registry.js';
import { buildBusyboxImage } from './own-dockerd.js';

/**
 * The pieces a Swarm test needs around the cluster: a busybox web image (FROM scratch) built on one node and pushed
 * to the cluster's registry with credentials, and a host-networked service pulled by digest on every node.
 */

/** The image's start script: httpd on every address of the node's namespace, and /node says which node it runs on. */
export function swarmAppStartScript(body: string): string {
  return `echo "$NODE" > /www/node\necho "starting ${body} on port $PORT"\nexec /bin/busybox httpd -f -v -p $PORT -h /www\n`;
}

type Progress = { error?: string; errorDetail?: { message?: string }; aux?: { Digest?: string } };

function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<Progress[]> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: Progress[]) => {
      const failed = error?.message ?? output.find((m) => m.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve(output);
    }),
  );
}

/** Pushes `repository:tag` (already tagged on `docker`); resolves with the manifest digest the registry stored. */
export async function pushImage(docker: Docker, repository: string, tag: string, authconfig?: AuthRegistry['authconfig']): Promise<string> {
  const stream = (await docker.getImage(repository).push({ tag, ...(authconfig ? { authconfig } : {}) })) as NodeJS.ReadableStream;
  const output = await follow(docker, stream);
  const digest = output.find((m) => m.aux?.Digest)?.aux?.Digest;
  if (!digest) throw new Error(`push of ${repository}:${tag} reported no digest`);
  return digest;
}

/** Pulls `reference` on one engine; rejects with the engine's message (e.g. "no basic auth credentials"). */
export async function pullImage(docker: Docker, reference: string, authconfig?: AuthRegistry['authconfig']): Promise<void> {
  const stream = (await docker.pull(reference, authconfig ? { authconfig } : {})) as NodeJS.ReadableStream;
  await follow(docker, stream);
}

/** Builds the busybox web image on `docker`, tags it into the registry and pushes it; returns `repo@digest`. */
export async function buildAndPush(docker: Docker, registry: AuthRegistry, name: string, body: string): Promise<{ repository: string; digest: string; reference: string }> {
  const repository = `${registry.host}/${name}`;
  await buildBusyboxImage(docker, `${repository}:1`, { body, startScript: swarmAppStartScript(body) });
  const digest = await pushImage(docker, repository, '1', registry.authconfig);
  return { repository, digest, reference: `${repository}@${digest}` };
}

export interface WebServiceOptions {
  name: string;
  /** repo@digest: every node pulls exactly this. */
  image: string;
  port: number;
  replicas: number;
  /** Sent as X-Registry-Auth so the manager hands the credentials to every node that pulls. */
  authconfig?: AuthRegistry['authconfig'];
}

/**
 * A replicated service on the host network (no routing mesh: each task listens on its node's own address), at most
 * one task per node, its node's Swarm id in $NODE (a service template) so /node tells which node answered.
 */
export async function createWebService(manager: Docker, options: WebServiceOptions): Promise<string> {
  const hostNetwork = await manager.getNetwork('host').inspect();
  const spec = {
    Name: options.name,
    Labels: { 'dkswarm.test': 'true' },
    TaskTemplate: {
      // Init: httpd as PID 1 would ignore SIGTERM and every stop would wait out the grace period.
      ContainerSpec: { Image: options.image, Env: [`PORT=${options.port}`, 'NODE={{.Node.ID}}'], Init: true, StopGracePeriod: 2_000_000_000 },
      Networks: [{ Target: hostNetwork.Id }],
      Placement: { MaxReplicas: 1 },
      RestartPolicy: { Condition: 'any', Delay: 1_000_000_000 },
    },
    Mode: { Replicated: { Replicas: options.replicas } },
  };
  const created = (await (options.authconfig ? manager.createService(options.authconfig, spec as never) : manager.createService(spec as never))) as { ID?: string; id?: string };
  return created.ID ?? created.id ?? '';
}

export interface RunningTask {
  id: string;
  nodeId: string;
  state: string;
}

/** The service's tasks that should run, as the manager reports them. */
export async function desiredRunningTasks(manager: Docker, service: string): Promise<RunningTask[]> {
  const tasks = await manager.listTasks({ filters: { service: [service], 'desired-state': ['running'] } });
  return tasks.map((t) => ({ id: t.ID ?? '', nodeId: t.NodeID ?? '', state: t.Status?.State ?? '' }));
}

/** Waits until `count` tasks run, on `count` different nodes; rejects with the tasks' states and errors otherwise. */
export async function waitForRunningTasks(manager: Docker, service: string, count: number, timeoutMs = 90_000): Promise<RunningTask[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await desiredRunningTasks(manager, service);
    const running = tasks.filter((t) => t.state === 'running');
    if (running.length >= count && new Set(running.map((t) => t.nodeId)).size >= count) return running;
    if (Date.now() > deadline) {
      const all = await manager.listTasks({ filters: { service: [service] } });
      throw new Error(`service ${service}: ${running.length} of ${count} tasks running: ${JSON.stringify(all.map((t) => [t.NodeID, t.Status?.State, t.Status?.Err]))}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
