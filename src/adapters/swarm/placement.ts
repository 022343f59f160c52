import type Docker from 'dockerode';
import type { PlacedTask, Placement } from '../../domain/placement/placement.js';
import { type NodeInfo, type SwarmTask, desiredReplicas, isFailed, isServing } from './service-state.js';

const byName = (a: PlacedTask, b: PlacedTask) => (a.node === '' ? 1 : b.node === '' ? -1 : a.node.localeCompare(b.node, 'en', { numeric: true }));

/**
 * A service's tasks as `status` shows them: per node the newest task Swarm wants running or still sees running (a
 * lost node's), with how many tasks failed on that node before; then the tasks Swarm could not place on any node.
 */
export function placementOf(service: Docker.Service, tasks: SwarmTask[], nodes: NodeInfo[]): Placement {
  const live = tasks.filter((t) => t.desiredState === 'running' || t.state === 'running').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const newestOnNode = new Map<string, SwarmTask>();
  const unplaced: SwarmTask[] = [];
  for (const task of live) {
    if (!task.nodeId) unplaced.push(task);
    else if (!newestOnNode.has(task.nodeId)) newestOnNode.set(task.nodeId, task);
  }
  const placed = (task: SwarmTask): PlacedTask => ({
    node: task.nodeId ? task.node : '',
    addr: task.addr,
    nodeState: task.nodeId ? task.nodeState : '',
    state: task.state,
    desired: task.desiredState,
    serving: isServing(task),
    restarts: task.nodeId ? tasks.filter((t) => t.nodeId === task.nodeId && isFailed(t)).length : 0,
    message: task.message,
  });
  const shown = [...newestOnNode.values(), ...unplaced].map(placed).sort(byName);
  return {
    wanted: desiredReplicas(service),
    serving: new Set([...newestOnNode.values()].filter(isServing).map((t) => t.nodeId)).size,
    tasks: shown,
    downNodes: nodes.filter((n) => n.state !== 'ready').map((n) => n.hostname).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
  };
}
