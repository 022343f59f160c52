import type { PlacedTask, Placement } from './placement.js';

/** "running, healthy" / "pending: no suitable node" / "running on a node that is down", with restarts. */
export function taskText(task: PlacedTask): string {
  const state = task.serving ? 'running, healthy' : task.state;
  const node = task.nodeState && task.nodeState !== 'ready' ? ` (node ${task.nodeState})` : '';
  const desired = task.desired && task.desired !== 'running' ? `, desired ${task.desired}` : '';
  const restarts = task.restarts > 0 ? `, ${task.restarts} failed before` : '';
  // A serving task's message is Swarm's "started": said only for the others (an error, "no suitable node", …).
  const message = !task.serving && task.message && task.message !== task.state ? `: ${task.message}` : '';
  return `${state}${node}${desired}${restarts}${message}`;
}

/** "2 of 3 tasks serving" with why the others are missing: nodes down, tasks waiting for a node. */
export function placementSummary(p: Placement): string {
  if (p.wanted === 0) return 'scaled to 0 tasks';
  const parts = [`${p.serving} of ${p.wanted} task(s) serving`];
  const down = p.downNodes.map((n) => `node ${n} is down`);
  parts.push(...down);
  const missing = p.wanted - p.serving;
  if (missing > 0) {
    const waiting = p.tasks.filter((t) => !t.serving && t.desired === 'running' && t.node === '').length;
    parts.push(`${missing} task(s) missing${waiting ? ` (${waiting} waiting for a node)` : ''}`);
  }
  return parts.join('; ');
}

/** One line per task: "n1 10.0.0.1: running, healthy". */
export function placementLines(p: Placement): string[] {
  return p.tasks.map((t) => `${t.node ? `${t.node}${t.addr && t.addr !== t.node ? ` ${t.addr}` : ''}` : 'no node'}: ${taskText(t)}`);
}
