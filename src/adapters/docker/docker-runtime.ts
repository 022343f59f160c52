import { createServer } from 'node:net';
import Docker from 'dockerode';
import { DeckhandError } from '../../domain/errors.js';
import type { BuildRequest, ContainerState, ImageInfo, Runtime, StartRequest } from '../../domain/ports.js';
import { type ProgressMessage, demuxDockerLogs, splitLines } from './log-frames.js';

export const LABEL_APP = 'deckhand.app';
export const LABEL_DEPLOYMENT = 'deckhand.deployment';
export const LABEL_REVISION = 'org.opencontainers.image.revision';
export const LABEL_PORT = 'deckhand.port';

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/** The deployment id and port deckhand wrote on a container's labels. */
function labelled(labels: Record<string, string> | undefined): { deploymentId: number | null; port: number | null } {
  const number = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : null);
  return { deploymentId: number(labels?.[LABEL_DEPLOYMENT]), port: number(labels?.[LABEL_PORT]) };
}

export const containerName = (app: string, deploymentId: number) => `deckhand-${app}-${deploymentId}`;

/** The Docker engine through dockerode objects: no docker CLI, no shell strings. */
export class DockerRuntime implements Runtime {
  constructor(readonly docker: Docker = new Docker()) {}

  async build(request: BuildRequest): Promise<{ imageId: string }> {
    const labels = {
      [LABEL_APP]: request.app,
      [LABEL_DEPLOYMENT]: String(request.deploymentId),
      [LABEL_REVISION]: request.commit,
    };
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(request.context, {
        t: request.imageRef,
        dockerfile: request.dockerfile,
        labels,
        rm: true,
        forcerm: true,
      });
    } catch (error) {
      throw new DeckhandError('build_failed', `The Docker build could not start: ${(error as Error).message}`, {}, { cause: error });
    }
    let builtId: string | undefined;
    await this.follow(stream, request.onLog, (message) => {
      if (message.aux?.ID) builtId = message.aux.ID;
    }, 'build_failed', 'The Docker build failed');
    const image = await this.inspectImage(builtId ?? request.imageRef);
    if (!image) throw new DeckhandError('build_failed', `The build finished but image ${request.imageRef} is not on the host.`);
    return { imageId: image.id };
  }

  async push(imageId: string, ref: string, onLog: (line: string) => void): Promise<void> {
    const colon = ref.lastIndexOf(':');
    const repo = ref.slice(0, colon);
    const tag = ref.slice(colon + 1);
    try {
      await this.docker.getImage(imageId).tag({ repo, tag });
      const stream = await this.docker.getImage(ref).push({ tag, authconfig: {} });
      await this.follow(stream, onLog, () => undefined, 'image_unavailable', `Could not push ${ref}`);
    } catch (error) {
      if (error instanceof DeckhandError) throw error;
      throw new DeckhandError('image_unavailable', `Could not push ${ref}: ${(error as Error).message}`, { image: ref }, { cause: error });
    }
  }

  async ensureImage(ref: string, pull: 'missing' | 'always', onLog: (line: string) => void): Promise<{ imageId: string }> {
    if (pull === 'missing') {
      const local = await this.inspectImage(ref);
      if (local) {
        onLog(`Image ${ref} is present on the host (${local.id.slice(7, 19)}); not pulling.`);
        return { imageId: local.id };
      }
    }
    onLog(`Pulling ${ref}`);
    try {
      const stream = await this.docker.pull(ref);
      await this.follow(stream, onLog, () => undefined, 'image_unavailable', `Could not pull ${ref}`);
    } catch (error) {
      if (error instanceof DeckhandError) throw error;
      throw new DeckhandError('image_unavailable', `Could not pull ${ref}: ${(error as Error).message}`, { image: ref }, { cause: error });
    }
    const image = await this.inspectImage(ref);
    if (!image) throw new DeckhandError('image_unavailable', `Pulled ${ref}, but it is not on the host.`, { image: ref });
    return { imageId: image.id };
  }

  private follow(
    stream: NodeJS.ReadableStream,
    onLog: (line: string) => void,
    onMessage: (message: ProgressMessage) => void,
    code: 'build_failed' | 'image_unavailable',
    prefix: string,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let failure: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => {
          if (error || failure) reject(new DeckhandError(code, `${prefix}: ${failure ?? error?.message}`));
          else resolve();
        },
        (message: ProgressMessage) => {
          onMessage(message);
          if (message.error || message.errorDetail) {
            failure = message.errorDetail?.message ?? message.error;
            onLog(`ERROR: ${failure}`);
            return;
          }
          const text = message.stream ?? (message.status ? `${message.id ? `${message.id}: ` : ''}${message.status}` : undefined);
          if (text && !message.progress) for (const line of splitLines(text)) onLog(line);
        },
      );
    });
  }

  async inspectImage(idOrRef: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.docker.getImage(idOrRef).inspect();
      return { id: info.Id, refs: info.RepoTags ?? [], sizeBytes: info.Size, createdAt: info.Created ? new Date(info.Created) : null };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listImages(app: string): Promise<ImageInfo[]> {
    const images = await this.docker.listImages({ filters: { label: [`${LABEL_APP}=${app}`] } });
    return images.map((i) => ({ id: i.Id, refs: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), sizeBytes: i.Size, createdAt: new Date(i.Created * 1000) }));
  }

  async removeImage(id: string): Promise<boolean> {
    try {
      await this.docker.getImage(id).remove({ force: true, noprune: false });
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  async start(request: StartRequest): Promise<ContainerState> {
    const name = containerName(request.app, request.deploymentId);
    await this.removeByName(name);
    const env = { ...request.env, PORT: String(request.port) };
    let container: Docker.Container | undefined;
    try {
      container = await this.docker.createContainer({
        name,
        Image: request.image,
        Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
        Labels: { ...request.labels, [LABEL_APP]: request.app, [LABEL_DEPLOYMENT]: String(request.deploymentId), [LABEL_PORT]: String(request.port) },
        // Init: a tiny init as PID 1 forwards SIGTERM, so apps that never expected to be PID 1 still stop promptly.
        HostConfig: { NetworkMode: 'host', Init: true, RestartPolicy: { Name: 'unless-stopped' } },
      });
      await container.start();
    } catch (error) {
      if (container) await container.remove({ force: true }).catch(() => undefined);
      throw new DeckhandError('start_failed', `Could not start the container: ${(error as Error).message}`, {}, { cause: error });
    }
    const state = await this.inspectContainer(container.id);
    if (!state) throw new DeckhandError('start_failed', 'The container disappeared right after it started.');
    return state;
  }

  private async removeByName(name: string): Promise<void> {
    const found = await this.docker.listContainers({ all: true, filters: { name: [`^/${name}$`] } });
    for (const info of found) {
      if (info.Labels?.[LABEL_APP]) await this.remove(info.Id);
    }
  }

  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        running: info.State.Running,
        exitCode: info.State.Running ? null : info.State.ExitCode,
        ...labelled(info.Config.Labels),
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listContainers(app: string): Promise<ContainerState[]> {
    const found = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_APP}=${app}`] } });
    return found.map((info) => ({
      id: info.Id,
      name: (info.Names[0] ?? info.Id).replace(/^\//, ''),
      running: info.State === 'running',
      exitCode: null,
      ...labelled(info.Labels),
    }));
  }

  async stop(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: 10 });
    } catch (error) {
      if (statusOf(error) !== 304 && statusOf(error) !== 404) throw error;
    }
  }

  async restart(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if (statusOf(error) !== 304) throw error;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async logsTail(id: string, lines: number): Promise<string[]> {
    const buffer = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxDockerLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
  }

  freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
      });
    });
  }
}
