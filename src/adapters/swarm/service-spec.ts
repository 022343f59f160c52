import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { type ContainerSettings, WEB_PROCESS } from '../../domain/apps.js';
import type { StartRequest } from '../../domain/ports.js';
import { LABEL_APP, LABEL_DEPLOYMENT, LABEL_PORT, LABEL_PROCESS } from '../docker/container-state.js';

/** How many tasks the service should run when it is up: what `restart` scales a stopped (0) service back to. */
export const LABEL_REPLICAS = 'deckhand.replicas';
/** Marks a release one-off service (its `deckhand.app` is blank, so it never counts as one that serves). */
export const LABEL_RELEASE = 'deckhand.release';

const NS = 1_000_000;

/** Where and how many: per app `target: { swarm: { replicas, constraints } }`, plus the health path of its web service. */
export interface SwarmTarget {
  /** Tasks of the web service (one per node at most). */
  replicas: number;
  /** Swarm placement constraints, e.g. `node.role==worker`, `node.labels.zone==a`. */
  constraints?: string[];
  /** Tasks of each process service; absent: `replicas`. */
  processReplicas?: Record<string, number>;
  /** The web service's health path (the app's `run.health`); default `/`. */
  healthPath?: string;
  /** Time a task gets after SIGTERM (the app's `run.stopTimeout`); absent: the runtime's `stopGraceMs`. */
  stopGraceMs?: number;
  /** The web task's HEALTHCHECK argv for this app; absent: the runtime's `healthArgv`. */
  healthArgv?: HealthArgv;
}

export interface HealthTiming {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  /** Failures in this window after start do not count (a first success still counts at once). */
  startPeriodMs: number;
}

/** The HEALTHCHECK argv of a web task: runs inside the container, against the task's own port. */
export type HealthArgv = (port: number, path: string) => string[];

/** Test images hold only /bin/busybox: its wget exits non-zero on a refused connection or a non-2xx answer. */
export const busyboxWget: HealthArgv = (port, path) => ['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}${path}`];

/**
 * Swarm expands Go templates (`{{.Node.ID}}`) in a service's env: an app's value (a secret with `{{` in it) must stay
 * literal, so each `{{` becomes an action that prints `{{`.
 */
export const literal = (value: string) => value.replaceAll('{{', '{{"{{"}}');

/** The app's env, literal, then deckhand's own template env (e.g. `{ NODE_ID: '{{.Node.ID}}' }`), expanded by Swarm. */
export function envList(env: Record<string, string>, templates: Record<string, string> = {}): string[] {
  return [...Object.entries(env).map(([key, value]) => `${key}=${literal(value)}`), ...Object.entries(templates).map(([key, value]) => `${key}=${value}`)];
}

/** Swarm names are DNS labels: at most 63 characters, letters, digits, `-` and `_` (no `.`). */
const MAX_NAME = 63;

/**
 * `deckhand-<app>-<id>` for the web service, `deckhand-<app>-<id>_<process>` for a process service (`_` never occurs
 * in an app or process name, so no app's web service can take a process service's name). A name over 63 characters
 * keeps its start and ends in a hash of the whole (labels, not names, are what deckhand reads back).
 */
export function serviceName(app: string, deploymentId: number, process: string = WEB_PROCESS): string {
  const full = process === WEB_PROCESS ? `deckhand-${app}-${deploymentId}` : `deckhand-${app}-${deploymentId}_${process}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  return `${full.slice(0, MAX_NAME - 11)}_${hash}`;
}

/** Docker's short volume syntax as Swarm mounts: named volumes (node-local) and host paths (must exist on each node). */
export function mountsOf(volumes: string[] = []): Array<{ Type: 'volume' | 'bind'; Source: string; Target: string; ReadOnly: boolean }> {
  return volumes.map((entry) => {
    const [source, target, mode] = entry.split(':') as [string, string, string | undefined];
    return { Type: source.startsWith('/') ? 'bind' : 'volume', Source: source, Target: target, ReadOnly: mode === 'ro' };
  });
}

function resourcesOf(settings: ContainerSettings | undefined): Docker.ResourceRequirements | undefined {
  if (settings?.memoryBytes === undefined && settings?.cpus === undefined) return undefined;
  return {
    Limits: {
      ...(settings.memoryBytes !== undefined ? { MemoryBytes: settings.memoryBytes } : {}),
      ...(settings.cpus !== undefined ? { NanoCPUs: Math.round(settings.cpus * 1e9) } : {}),
    },
  };
}

export interface SpecInput {
  request: StartRequest;
  /** repo@sha256:…: every node pulls exactly this. */
  image: string;
  replicas: number;
  constraints: string[];
  /** Id of the `host` network (services join it by id). */
  hostNetworkId: string;
  /** Web only: the HEALTHCHECK argv. */
  healthTest?: string[];
  health: HealthTiming;
  /** Failed tasks restarted this many times per slot before Swarm gives up. */
  maxRestarts: number;
  stopGraceMs: number;
  /** Env set from Swarm templates, per task (not escaped). */
  templateEnv?: Record<string, string>;
}

/**
 * One deployment (or one process of it) as a Swarm service: the image by digest, host networking (no routing mesh:
 * each task answers on its node's own address), at most one task per node, a tiny init, the app's env (PORT for
 * web), user, command, limits and volumes, deckhand's labels on the service AND its containers, and for web a
 * HEALTHCHECK: Swarm reports a task `running` only once it is healthy, and replaces a task that turns unhealthy.
 */
export function serviceSpec(input: SpecInput): Docker.CreateServiceOptions {
  const { request } = input;
  const process = request.process ?? WEB_PROCESS;
  const web = process === WEB_PROCESS;
  const env = { ...request.env, ...(web && request.port !== null ? { PORT: String(request.port) } : {}) };
  const labels: Record<string, string> = {
    ...request.labels,
    [LABEL_APP]: request.app,
    [LABEL_DEPLOYMENT]: String(request.deploymentId),
    [LABEL_PROCESS]: process,
    [LABEL_REPLICAS]: String(input.replicas),
    ...(request.port !== null ? { [LABEL_PORT]: String(request.port) } : {}),
  };
  const settings = request.settings;
  const resources = resourcesOf(settings);
  const containerSpec = {
    Image: input.image,
    Labels: labels,
    Env: envList(env, input.templateEnv),
    ...(settings?.command ? { Args: settings.command } : {}),
    ...(settings?.user !== undefined ? { User: settings.user } : {}),
    ...(settings?.volumes?.length ? { Mounts: mountsOf(settings.volumes) } : {}),
    // Init: apps that never expected to be PID 1 still stop on SIGTERM.
    Init: true,
    StopGracePeriod: input.stopGraceMs * NS,
    ...(input.healthTest
      ? {
          Healthcheck: {
            Test: input.healthTest,
            Interval: input.health.intervalMs * NS,
            Timeout: input.health.timeoutMs * NS,
            Retries: input.health.retries,
            StartPeriod: input.health.startPeriodMs * NS,
          },
        }
      : {}),
  };
  return {
    Name: serviceName(request.app, request.deploymentId, process),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Networks: [{ Target: input.hostNetworkId }],
      Placement: { Constraints: input.constraints, MaxReplicas: 1 },
      RestartPolicy: { Condition: 'on-failure', Delay: 1000 * NS, MaxAttempts: input.maxRestarts },
      ...(resources ? { Resources: resources } : {}),
    },
    Mode: { Replicated: { Replicas: input.replicas } },
  } as Docker.CreateServiceOptions;
}
