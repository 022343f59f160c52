import type Docker from 'dockerode';
import { Dockerode } from './dockerode.js';
import { DeckhandError } from '../../domain/errors.js';
import { cleanLogLines } from '../../domain/log-text.js';
import type { BuildRequest, ContainerState, ImageInfo, RunOnceRequest, Runtime, StartRequest } from '../../domain/ports.js';
import type { Layer } from '../../domain/retention/layers.js';
import { containerName, createAndStart } from './container-create.js';
import { WEB_PROCESS } from '../../domain/apps.js';
import { LABEL_APP, LABEL_PORT, fromInspect, fromList } from './container-state.js';
import { DockerCalls, statusOf } from './docker-calls.js';
import { readImageLayers } from './image-layers.js';
import { demuxDockerLogs } from './log-frames.js';
import { buildImage, pullImage, pushImage } from './image-transfer.js';
import { execIn } from './exec-in.js';
import { HostPorts, type PortRange } from './host-ports.js';
import { runOnce } from './run-once.js';
import type { CredentialsFor } from '../registry/docker-auth.js';

export { LABEL_APP, LABEL_DEPLOYMENT, LABEL_PORT, LABEL_PROCESS, LABEL_REPLICA, LABEL_REVISION } from './container-state.js';
export { LABEL_VOLUME, containerName } from './container-create.js';

/** Seconds Docker waits after SIGTERM before SIGKILL when stopping a container. */
const STOP_GRACE_S = 10;

export interface DockerRuntimeOptions {
  /** Bound on each Docker call, and on how long a silent stream may go without the engine answering a ping. */
  timeoutMs?: number;
  /** Credentials for a registry host (push and pull); anonymous without. */
  registryAuth?: CredentialsFor;
  /** Where freePort picks ports for new containers (default 10000–14999, see host-ports.ts). */
  portRange?: PortRange;
}

/** The Docker engine through dockerode objects: no docker CLI, no shell strings; every call bounded in time. */
export class DockerRuntime implements Runtime {
  private readonly calls: DockerCalls;
  private readonly registryAuth?: CredentialsFor;
  private readonly ports: HostPorts;

  constructor(
    readonly docker: Docker = new Dockerode(),
    options: DockerRuntimeOptions = {},
  ) {
    this.calls = new DockerCalls(docker, options.timeoutMs ?? 10_000);
    this.registryAuth = options.registryAuth;
    this.ports = new HostPorts(options.portRange, () => this.labelledPorts());
  }

  build(request: BuildRequest): Promise<{ imageId: string }> {
    return buildImage(this.calls, request, (id) => this.inspectImage(id));
  }

  push(imageId: string, ref: string, onLog: (line: string) => void): Promise<void> {
    return pushImage(this.calls, this.registryAuth, imageId, ref, onLog);
  }

  async ensureImage(ref: string, pull: 'missing' | 'always', onLog: (line: string) => void): Promise<{ imageId: string }> {
    if (pull === 'missing') {
      const local = await this.inspectImage(ref);
      if (local) {
        onLog(`Image ${ref} is present on the host (${local.id.slice(7, 19)}); not pulling.`);
        return { imageId: local.id };
      }
    }
    await pullImage(this.calls, this.registryAuth, ref, onLog);
    const image = await this.inspectImage(ref);
    if (!image) throw new DeckhandError('image_unavailable', `Pulled ${ref}, but it is not on the host.`, { image: ref });
    return { imageId: image.id };
  }

  async inspectImage(idOrRef: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.calls.call(`inspect image ${idOrRef}`, (abortSignal) =>
        new Promise<Docker.ImageInspectInfo>((resolve, reject) =>
          this.docker.modem.dial(
            { path: `/images/${idOrRef}/json`, method: 'GET', options: {}, abortSignal, statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } },
            (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as Docker.ImageInspectInfo)),
          ),
        ),
      );
      return { id: info.Id, refs: info.RepoTags ?? [], sizeBytes: info.Size, createdAt: info.Created ? new Date(info.Created) : null };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listImages(app: string): Promise<ImageInfo[]> {
    const images = await this.calls.call(`list images of ${app}`, (abortSignal) => this.docker.listImages({ filters: { label: [`${LABEL_APP}=${app}`] }, abortSignal }));
    return images.map((i) => ({ id: i.Id, refs: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), sizeBytes: i.Size, createdAt: new Date(i.Created * 1000) }));
  }

  imageLayers(id: string): Promise<Layer[] | undefined> {
    return readImageLayers(this.calls, id);
  }

  async listImageIds(): Promise<string[]> {
    return (await this.calls.call('list images', (abortSignal) => this.docker.listImages({ abortSignal }))).map((i) => i.Id);
  }

  async removeImage(id: string): Promise<boolean> {
    try {
      await this.calls.call(`remove image ${id}`, (abortSignal) => this.docker.getImage(id).remove({ force: true, noprune: false, abortSignal }));
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /**
   * What was just started, as deckhand made it (no inspect: the health check asks the container's state at its first
   * attempt, and a container that is gone or exited fails it there).
   */
  async start(request: StartRequest): Promise<ContainerState> {
    const id = await createAndStart(this.calls, request);
    const process = request.process ?? WEB_PROCESS;
    return {
      id,
      name: containerName(request.app, request.deploymentId, process, request.replica ?? 1),
      running: true,
      exitCode: null,
      deploymentId: request.deploymentId,
      port: request.port,
      process,
      ...(process !== WEB_PROCESS ? { replica: request.replica ?? 1 } : {}),
      status: 'running',
      restartCount: 0,
    };
  }

  runOnce(request: RunOnceRequest): Promise<{ exitCode: number }> {
    return runOnce(this.calls, request);
  }

  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    try {
      return fromInspect(await this.calls.call(`inspect container ${id.slice(0, 12)}`, (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal })));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listContainers(app: string): Promise<ContainerState[]> {
    const found = await this.calls.call(`list containers of ${app}`, (abortSignal) => this.docker.listContainers({ all: true, filters: { label: [`${LABEL_APP}=${app}`] }, abortSignal }));
    return found.map(fromList);
  }

  async stop(id: string, graceMs = STOP_GRACE_S * 1000): Promise<void> {
    const graceS = Math.max(0, Math.ceil(graceMs / 1000));
    try {
      await this.calls.call(`stop container ${id.slice(0, 12)}`, (abortSignal) => this.docker.getContainer(id).stop({ t: graceS, abortSignal }), graceS * 1000);
    } catch (error) {
      if (statusOf(error) !== 304 && statusOf(error) !== 404) throw error;
    }
  }

  async restart(id: string): Promise<void> {
    try {
      await this.calls.call(`start container ${id.slice(0, 12)}`, (abortSignal) => this.docker.getContainer(id).start({ abortSignal }));
    } catch (error) {
      if (statusOf(error) !== 304) throw error;
    }
  }

  exec(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string[] }> {
    return execIn(this.calls, id, argv, timeoutMs);
  }

  async remove(id: string): Promise<void> {
    try {
      await this.calls.call(`remove container ${id.slice(0, 12)}`, (abortSignal) => this.docker.getContainer(id).remove({ force: true, abortSignal }));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /** The container's last lines, demultiplexed and cleaned (NUL, controls, broken characters) before anyone stores them. */
  async logsTail(id: string, lines: number): Promise<string[]> {
    const output = await this.calls.call(`read the logs of ${id.slice(0, 12)}`, (abortSignal) =>
      this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false, abortSignal } as Docker.ContainerLogsOptions & { follow: false }),
    );
    const buffer = output as unknown as Buffer;
    return cleanLogLines(demuxDockerLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer))));
  }

  /**
   * A port for a new container: outside the ephemeral range, free now, not handed out in the last minute, and not on
   * the label of a deckhand container that still exists.
   */
  freePort(): Promise<number> {
    return this.ports.next();
  }

  /** The ports on deckhand's containers' labels, of every app, stopped ones included. */
  private async labelledPorts(): Promise<Set<number>> {
    const found = await this.calls.call('list the ports of deckhand containers', (abortSignal) => this.docker.listContainers({ all: true, filters: { label: [LABEL_PORT] }, abortSignal }));
    return new Set(found.map((c) => Number(c.Labels?.[LABEL_PORT])).filter((port) => Number.isInteger(port)));
  }
}
