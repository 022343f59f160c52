import type Docker from 'dockerode';
import { type ContainerSettings, WEB_PROCESS } from '../../domain/apps.js';
import { DeckhandError } from '../../domain/errors.js';
import type { StartRequest } from '../../domain/ports.js';
import { LABEL_APP, LABEL_DEPLOYMENT, LABEL_PORT, LABEL_PROCESS, LABEL_REPLICA } from './container-state.js';
import { type DockerCalls, statusOf } from './docker-calls.js';

/** A named volume deckhand created carries `deckhand.app=<app>` and its own name here; retention never prunes it. */
export const LABEL_VOLUME = 'deckhand.volume';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** A create or start that failed: Docker gone or its disk full as they are (DeckhandErrors), anything else `start_failed`. */
const startFailure = (error: unknown) => (error instanceof DeckhandError ? error : new DeckhandError('start_failed', `Could not start the container: ${messageOf(error)}`, {}, { cause: error }));

/**
 * `deckhand-<app>-<id>` for the web container, `deckhand-<app>-<id>.<process>.<replica>` for a process container: a
 * `.` never occurs in an app name, so a process container never takes the name of another app's web container.
 */
export function containerName(app: string, deploymentId: number, process: string = WEB_PROCESS, replica = 1): string {
  return process === WEB_PROCESS ? `deckhand-${app}-${deploymentId}` : `deckhand-${app}-${deploymentId}.${process}.${replica}`;
}

/** The named volumes among `volumes` (Docker's short syntax; a source starting with `/` is a host path). */
export function namedVolumes(volumes: string[] = []): string[] {
  return [...new Set(volumes.map((entry) => entry.split(':')[0]!).filter((source) => !source.startsWith('/')))];
}

/**
 * Creates every named volume of `volumes` that does not exist yet, labelled with the app, so Docker never makes an
 * unlabelled one on its own at container create. Existing volumes are left exactly as they are.
 */
export async function ensureVolumes(calls: DockerCalls, app: string, volumes: string[] = []): Promise<void> {
  for (const name of namedVolumes(volumes)) {
    try {
      await calls.call(`inspect volume ${name}`, (abortSignal) => calls.docker.getVolume(name).inspect({ abortSignal }));
      continue;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    // Creating a volume that appeared meanwhile (a replica starting beside this one) returns the existing one.
    await calls.call(`create volume ${name}`, (abortSignal) => calls.docker.createVolume({ Name: name, Labels: { [LABEL_APP]: app, [LABEL_VOLUME]: name }, abortSignal }));
  }
}

/** Volumes, user and limits as Docker's create options (never the command: callers decide that). */
export function settingsOptions(settings: ContainerSettings | undefined): { User?: string; HostConfig: Partial<Docker.HostConfig> } {
  return {
    ...(settings?.user !== undefined ? { User: settings.user } : {}),
    HostConfig: {
      ...(settings?.volumes?.length ? { Binds: settings.volumes } : {}),
      ...(settings?.memoryBytes !== undefined ? { Memory: settings.memoryBytes } : {}),
      ...(settings?.cpus !== undefined ? { NanoCpus: Math.round(settings.cpus * 1e9) } : {}),
    },
  };
}

/** Removes a leftover container of this name, only when it is this app's (never another app's, never a stranger's). */
async function removeByName(calls: DockerCalls, app: string, name: string): Promise<void> {
  const found = await calls.call(`look up container ${name}`, (abortSignal) => calls.docker.listContainers({ all: true, filters: { name: [`^/${name}$`] }, abortSignal }));
  for (const info of found) {
    if (info.Labels?.[LABEL_APP] !== app) continue;
    try {
      await calls.call(`remove container ${name}`, (abortSignal) => calls.docker.getContainer(info.Id).remove({ force: true, abortSignal }));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }
}

/**
 * Creates and starts the container of a web or process: host networking, a tiny init as PID 1, restarted unless
 * stopped; the app's volumes (named ones created first), user, limits and command. Created first, then started once
 * what `request.created()` returned settled (when it rejects, the container is removed and that error thrown). A
 * leftover container of the same name (this app's only) is removed when the name is taken, then created again.
 * Returns its id; a container that could not start is removed. Failures other than Docker going away are
 * `start_failed`.
 */
export async function createAndStart(calls: DockerCalls, request: StartRequest): Promise<string> {
  const process = request.process ?? WEB_PROCESS;
  const web = process === WEB_PROCESS;
  const replica = request.replica ?? 1;
  const name = containerName(request.app, request.deploymentId, process, replica);
  const env = { ...request.env, ...(web && request.port !== null ? { PORT: String(request.port) } : {}) };
  const labels: Record<string, string> = {
    ...request.labels,
    [LABEL_APP]: request.app,
    [LABEL_DEPLOYMENT]: String(request.deploymentId),
    [LABEL_PROCESS]: process,
    ...(web ? {} : { [LABEL_REPLICA]: String(replica) }),
    ...(request.port !== null ? { [LABEL_PORT]: String(request.port) } : {}),
  };
  const { User, HostConfig } = settingsOptions(request.settings);
  const create = () =>
    calls.call(`create container ${name}`, (abortSignal) =>
      calls.docker.createContainer({
        name,
        Image: request.image,
        Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
        Labels: labels,
        ...(request.settings?.command ? { Cmd: request.settings.command } : {}),
        ...(User !== undefined ? { User } : {}),
        // Init: a tiny init as PID 1 forwards SIGTERM, so apps that never expected to be PID 1 still stop promptly.
        HostConfig: { NetworkMode: 'host', Init: true, RestartPolicy: { Name: 'unless-stopped' }, ...HostConfig },
        abortSignal,
      } as Docker.ContainerCreateOptions),
    );
  let container: Docker.Container | undefined;
  const removeCreated = () => calls.call(`remove container ${name}`, (abortSignal) => container!.remove({ force: true, abortSignal })).catch(() => undefined);
  try {
    await ensureVolumes(calls, request.app, request.settings?.volumes);
    try {
      container = await create();
    } catch (error) {
      // 409: the name is taken (a leftover of this deployment): this app's is removed, a stranger's never.
      if (statusOf(error) !== 409) throw error;
      await removeByName(calls, request.app, name);
      container = await create();
    }
  } catch (error) {
    throw startFailure(error);
  }
  try {
    await request.created?.();
  } catch (error) {
    await removeCreated();
    throw error;
  }
  try {
    const created = container;
    await calls.call(`start container ${name}`, (abortSignal) => created.start({ abortSignal }));
    return created.id;
  } catch (error) {
    await removeCreated();
    throw startFailure(error);
  }
}
