import type Docker from 'dockerode';
import type { ContainerState } from '../../domain/ports.js';

export const LABEL_APP = 'deckhand.app';
export const LABEL_DEPLOYMENT = 'deckhand.deployment';
export const LABEL_REVISION = 'org.opencontainers.image.revision';
/** The port the container listens on: what the proxy's upstream is compared with to find what serves. */
export const LABEL_PORT = 'deckhand.port';
/** `web`, or the process a container runs (absent on containers from before processes: web). */
export const LABEL_PROCESS = 'deckhand.process';
/** 1-based replica number of a process container. */
export const LABEL_REPLICA = 'deckhand.replica';

const STATUSES = new Set<NonNullable<ContainerState['status']>>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

function statusOf(value: string | undefined): ContainerState['status'] {
  return STATUSES.has(value as NonNullable<ContainerState['status']>) ? (value as ContainerState['status']) : undefined;
}

/** The deployment id, port, process and replica deckhand wrote on a container's labels. */
function labelled(labels: Record<string, string> | undefined): Pick<ContainerState, 'deploymentId' | 'port' | 'process' | 'replica'> {
  const number = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : null);
  const process = labels?.[LABEL_PROCESS];
  const replica = number(labels?.[LABEL_REPLICA]);
  return {
    deploymentId: number(labels?.[LABEL_DEPLOYMENT]),
    port: number(labels?.[LABEL_PORT]),
    ...(process ? { process } : {}),
    ...(replica !== null ? { replica } : {}),
  };
}

/** What `GET /containers/{id}/json` says, in the domain's words. */
export function fromInspect(info: Docker.ContainerInspectInfo): ContainerState {
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    running: info.State.Running,
    // While the restart policy brings it back, Docker says Running and Restarting: the exit code is the crash's.
    exitCode: info.State.Running && !info.State.Restarting ? null : info.State.ExitCode,
    ...labelled(info.Config.Labels),
    status: statusOf(info.State.Status),
    restartCount: info.RestartCount ?? 0,
  };
}

/** What `GET /containers/json` says (no restart count there). */
export function fromList(info: Docker.ContainerInfo): ContainerState {
  return {
    id: info.Id,
    name: (info.Names[0] ?? info.Id).replace(/^\//, ''),
    running: info.State === 'running',
    exitCode: null,
    ...labelled(info.Labels),
    status: statusOf(info.State),
  };
}
