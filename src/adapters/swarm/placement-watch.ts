import { type NodeInfo, type SwarmTask, isFailed, isServing } from './service-state.js';

const where = (t: SwarmTask) => (t.node ? `on ${t.node}` : 'without a node');
const list = (names: string[]) => names.join(', ');

/**
 * What changes on the cluster while a version's tasks are awaited, for the deploy's progress: a node that goes away
 * or comes back, a task that fails (Swarm replaces it), a task that moves to another node. Fed each poll's tasks
 * and nodes; the first poll only says which nodes are already down. `summary` is the truthful ending of a version
 * that serves on fewer nodes than asked, or that lost a node on the way.
 */
export class PlacementWatch {
  private readonly nodeStates = new Map<string, string>();
  private readonly tasks = new Map<string, SwarmTask>();
  private readonly slotNodes = new Map<number, { taskId: string; nodeId: string; node: string }>();
  private readonly lost = new Set<string>();
  private last: SwarmTask[] = [];
  private first = true;

  constructor(private readonly notify: (message: string) => void) {}

  see(tasks: SwarmTask[], nodes: NodeInfo[]): void {
    for (const node of nodes) this.seeNode(node);
    for (const task of tasks) this.seeTask(task);
    this.last = tasks;
    this.first = false;
  }

  private seeNode(node: NodeInfo): void {
    const before = this.nodeStates.get(node.hostname);
    this.nodeStates.set(node.hostname, node.state);
    const up = node.state === 'ready';
    if (this.first && !up) this.notify(`Node ${node.hostname} is ${node.state}: no task of this version runs there until it is back`);
    else if (before === 'ready' && !up) {
      this.lost.add(node.hostname);
      this.notify(`Node ${node.hostname} went away (${node.state}): its task no longer serves; Swarm places it again when a node is free`);
    } else if (before !== undefined && before !== 'ready' && up) this.notify(`Node ${node.hostname} is back`);
  }

  private seeTask(task: SwarmTask): void {
    const before = this.tasks.get(task.id);
    this.tasks.set(task.id, task);
    if (!this.first && isFailed(task) && (!before || !isFailed(before))) {
      this.notify(`A task ${where(task)} ${task.state}${task.message ? ` (${task.message})` : ''}; Swarm starts another`);
    }
    if (task.slot === undefined || !task.nodeId) return;
    const slot = this.slotNodes.get(task.slot);
    if (slot && slot.taskId !== task.id && slot.nodeId !== task.nodeId && !this.first) this.notify(`Task ${task.slot} moved from ${slot.node} to ${task.node}`);
    if (!slot || slot.taskId !== task.id) this.slotNodes.set(task.slot, { taskId: task.id, nodeId: task.nodeId, node: task.node });
  }

  /** Undefined when every wanted task serves and no node went away; else where it serves and why not everywhere. */
  summary(desired: number): string | undefined {
    const serving = [...new Set(this.last.filter(isServing).map((t) => t.node))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const lost = [...this.lost].filter((name) => this.nodeStates.get(name) !== 'ready');
    const down = [...this.nodeStates].filter(([, state]) => state !== 'ready').map(([name]) => name);
    const short = desired - serving.length;
    if (short <= 0 && lost.length === 0) return undefined;
    const waiting = short > 0 ? `; ${short} task(s) wait for a node` : '';
    if (lost.length > 0) return `Node ${list(lost)} went away during the deploy: completed on ${list(serving)}${waiting}`;
    if (down.length > 0) return `Node ${list(down)} is down: completed on ${list(serving)}${waiting}`;
    return `Completed on ${list(serving)}${waiting}`;
  }
}
