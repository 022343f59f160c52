import type Docker from 'dockerode';
import type { ContainerState, Endpoint } from '../../domain/ports.js';
import { LABEL_DEPLOYMENT, LABEL_PORT, LABEL_PROCESS } from '../docker/container-state.js';
import { LABEL_REPLICAS } from './service-spec.js';
import type { RawNode, RawTask } from './swarm-api.js';

/** One task of a service as `status` shows it: where it is, what Swarm says of it. */
export interface SwarmTask {
  id: string;
  /** The node's name (nodesById; its id when Swarm no longer knows the node). */
  node: string;
  nodeId: string;
  /** The node's address: where a web task answers (host networking). */
  addr: string;
  /** `ready`, `down`, `unknown`, `disconnected`: a task on a node that is not ready is not serving. */
  nodeState: string;
  /** Swarm's task state: new, pending, assigned, preparing, starting, running, complete, failed, rejected, shutdown, orphaned. */
  state: string;
  desiredState: string;
  /** Swarm's error for the task, else its message. */
  message: string;
  exitCode: number | null;
  createdAt: string;
  /** The replica slot the task fills (a replacement keeps its slot). */
  slot?: number;
}

export interface NodeInfo {
  hostname: string;
  addr: string;
  state: string;
}

/**
 * Nodes by id: name, address (the manager's own may read 0.0.0.0: its advertise address then) and state. The name is
 * the hostname, or the address when several nodes share a hostname (nodes started on one machine, cloned VMs).
 */
export function nodesById(nodes: RawNode[]): Map<string, NodeInfo> {
  const out = new Map<string, NodeInfo>();
  const hostnames = nodes.map((n) => n.Description?.Hostname ?? '');
  const shared = new Set(hostnames.filter((h, i) => h && hostnames.indexOf(h) !== i));
  for (const node of nodes) {
    let addr = node.Status?.Addr ?? '';
    if ((addr === '' || addr === '0.0.0.0') && node.ManagerStatus?.Addr) addr = node.ManagerStatus.Addr.replace(/:\d+$/, '');
    const hostname = node.Description?.Hostname ?? '';
    const name = hostname && !shared.has(hostname) ? hostname : addr || node.ID || '';
    out.set(node.ID ?? '', { hostname: name, addr, state: node.Status?.State ?? 'unknown' });
  }
  return out;
}

export function taskView(task: RawTask, nodes: Map<string, NodeInfo>): SwarmTask {
  const status = task.Status ?? {};
  const node = nodes.get(task.NodeID ?? '');
  return {
    id: task.ID ?? '',
    node: node?.hostname ?? task.NodeID ?? '',
    nodeId: task.NodeID ?? '',
    addr: node?.addr ?? '',
    nodeState: node?.state ?? (task.NodeID ? 'unknown' : ''),
    state: status.State ?? 'unknown',
    desiredState: task.DesiredState ?? '',
    message: status.Err || status.Message || '',
    exitCode: typeof status.ContainerStatus?.ExitCode === 'number' ? status.ContainerStatus.ExitCode : null,
    createdAt: task.CreatedAt ?? '',
    ...(typeof task.Slot === 'number' ? { slot: task.Slot } : {}),
  };
}

/** Serving: Swarm wants it running, it runs (healthy, when it has a healthcheck), and its node is up. */
export const isServing = (task: SwarmTask) => task.desiredState === 'running' && task.state === 'running' && task.nodeState === 'ready';

/**
 * Ended badly: exited non-zero, turned unhealthy, could not be started on its node (no image, no port, ...), or
 * exited 0 by itself (`complete`): a web or process task never ends on its own (a task Swarm stops ends `shutdown`),
 * and with the `on-failure` restart policy Swarm does not replace it, so its slot would stay empty unseen. One-off
 * tasks (service-run-once.ts) read `complete` as success and do not use this.
 */
export const isFailed = (task: SwarmTask) => task.state === 'failed' || task.state === 'rejected' || task.state === 'complete';

const number = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : null);

/** The port deckhand labelled the service with (null for a process service). */
export const portLabel = (service: Docker.Service) => number(service.Spec?.Labels?.[LABEL_PORT]);

export const desiredReplicas = (service: Docker.Service) => service.Spec?.Mode?.Replicated?.Replicas ?? 0;

/** The replica count deckhand asked for when it created the service (restored by `restart`). */
export const wantedReplicas = (service: Docker.Service) => number(service.Spec?.Labels?.[LABEL_REPLICAS]) ?? 1;

/** One endpoint per serving task: its node's address and the service's port. */
export function endpointsOf(tasks: SwarmTask[], port: number | null): Endpoint[] {
  if (port === null) return [];
  return tasks
    .filter(isServing)
    .map((t) => ({ host: t.addr, port }))
    .sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
}

/**
 * A service in the domain's words. `running`: it should run (replicas > 0) and at least one task serves. `status`:
 * `running`; `exited` when scaled to 0 (stopped, or retained as the previous version); `restarting` when it should
 * run but no task serves and one failed; else `created`. `exitCode`: the newest failed task's. `restartCount`: how
 * many of its tasks failed (a task lost with its node is not a failure).
 */
export function serviceState(service: Docker.Service, tasks: SwarmTask[]): ContainerState {
  const labels = service.Spec?.Labels ?? {};
  const port = number(labels[LABEL_PORT]);
  const desired = desiredReplicas(service);
  const serving = desired > 0 && tasks.some(isServing);
  const failed = tasks.filter(isFailed).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const status: ContainerState['status'] = serving ? 'running' : desired === 0 ? 'exited' : failed.length > 0 ? 'restarting' : 'created';
  const process = labels[LABEL_PROCESS];
  return {
    id: service.ID,
    name: service.Spec?.Name ?? service.ID,
    running: serving,
    exitCode: serving ? null : (failed[0]?.exitCode ?? null),
    deploymentId: number(labels[LABEL_DEPLOYMENT]),
    port,
    ...(process ? { process } : {}),
    status,
    restartCount: failed.length,
    // Scaled to 0, a version takes no traffic, even while Swarm has not yet marked its tasks for shutdown.
    endpoints: desired > 0 ? endpointsOf(tasks, port) : [],
  };
}
