import type { RuntimeHealth, RuntimeHealthWait } from '../../domain/ports.js';
import { type SwarmTask, endpointsOf, isFailed, isServing } from './service-state.js';

/**
 * What a node loss during a deploy does. `complete-on-remaining` (the default): the version is healthy when every
 * task Swarm can place runs healthy (at least one) and the others are pending because no node is left for them
 * (one task per node, a node down): traffic moves to the nodes that serve, and `status` shows the missing task
 * until the node returns and Swarm places it. `fail`: all replicas or nothing.
 */
export type NodeLossPolicy = 'complete-on-remaining' | 'fail';

export interface ServiceSnapshot {
  /** undefined: the service is gone. */
  desired: number | undefined;
  port: number | null;
  tasks: SwarmTask[];
}

export interface HealthWaitDeps {
  read(): Promise<ServiceSnapshot>;
  now(): number;
  sleep(ms: number): Promise<void>;
  pollMs: number;
  /** New failed tasks tolerated before giving up (Swarm replaces each; this many failing says the version is broken). */
  maxFailures: number;
  nodeLoss: NodeLossPolicy;
  /** More words on failed tasks (their last output), asked once when the wait gives up on them. */
  explain?(failed: SwarmTask[]): Promise<string>;
}

const UNPLACEABLE = /no suitable node/i;
const REGISTRY_TROUBLE = /no such image|no basic auth credentials|unauthorized|authentication required|pull access denied/i;

const where = (t: SwarmTask) => (t.node ? `${t.node}${t.addr && t.addr !== t.node ? ` (${t.addr})` : ''}` : 'no node yet');

/** "2 of 3 healthy; n3 (10.0.0.3): starting" */
function describe(desired: number, serving: SwarmTask[], others: SwarmTask[]): string {
  const rest = others.map((t) => `${where(t)}: ${t.state}${t.message && t.message !== t.state ? ` (${t.message})` : ''}`);
  return [`${serving.length} of ${desired} tasks running and healthy`, ...rest].join('; ');
}

/** Why the failed tasks failed, one line per distinct message, with a hint when nodes could not pull the image. */
export function failureReason(failed: SwarmTask[]): string {
  const byMessage = new Map<string, string[]>();
  for (const task of failed) {
    const message = task.message || `${task.state}${task.exitCode !== null ? ` with exit code ${task.exitCode}` : ''}`;
    byMessage.set(message, [...(byMessage.get(message) ?? []), where(task)]);
  }
  const lines = [...byMessage].map(([message, nodes]) => `${message} (on ${[...new Set(nodes)].join(', ')})`);
  const hint = failed.some((t) => REGISTRY_TROUBLE.test(t.message))
    ? ' The nodes could not pull the image: does the Swarm runtime have the registry credentials (registry auth), and was the image pushed?'
    : '';
  return `${failed.length} task(s) failed: ${lines.join('; ')}.${hint}`;
}

/**
 * Polls the service's tasks until the wanted number run healthy on distinct nodes (Swarm reports a task `running` only
 * once its HEALTHCHECK passed, and shuts an unhealthy one down), or until too many tasks failed, the timeout, or the
 * signal. Failures from before the wait (a service scaled back up) do not count.
 */
export async function waitServiceHealthy(deps: HealthWaitDeps, wait: RuntimeHealthWait): Promise<RuntimeHealth> {
  const started = deps.now();
  const first = await deps.read();
  const before = new Set(first.tasks.filter(isFailed).map((t) => t.id));
  let snapshot = first;
  for (let attempt = 1; ; attempt += 1) {
    if (wait.signal?.aborted) return { ok: false, reason: 'the wait was cancelled' };
    if (attempt > 1) snapshot = await deps.read();
    const { desired, tasks, port } = snapshot;
    if (desired === undefined) return { ok: false, reason: 'the service is gone' };
    if (desired === 0) return { ok: false, reason: 'the service is scaled to 0 tasks' };
    const current = tasks.filter((t) => t.desiredState === 'running');
    const serving = current.filter(isServing);
    const servingNodes = new Set(serving.map((t) => t.nodeId));
    const others = current.filter((t) => !isServing(t));
    const unplaceable = others.filter((t) => t.state === 'pending' && UNPLACEABLE.test(t.message));
    const failed = tasks.filter((t) => isFailed(t) && !before.has(t.id));
    const detail = describe(desired, serving, others);

    if (servingNodes.size >= desired) {
      wait.onAttempt(attempt, true, detail);
      return { ok: true, endpoints: endpointsOf(serving, port) };
    }
    if (unplaceable.length > 0 && deps.nodeLoss === 'fail') {
      wait.onAttempt(attempt, false, detail);
      return { ok: false, reason: `only ${servingNodes.size} of ${desired} tasks can run: ${unplaceable[0]!.message}` };
    }
    if (unplaceable.length > 0 && servingNodes.size > 0 && servingNodes.size + unplaceable.length >= desired) {
      const partial = `${detail}; ${unplaceable.length} task(s) wait for a node (a node is down or excluded): serving from ${servingNodes.size} node(s)`;
      wait.onAttempt(attempt, true, partial);
      return { ok: true, endpoints: endpointsOf(serving, port) };
    }
    if (failed.length >= deps.maxFailures) {
      wait.onAttempt(attempt, false, detail);
      const more = (await deps.explain?.(failed).catch(() => '')) ?? '';
      return { ok: false, reason: `${more}${failureReason(failed)}` };
    }
    if (deps.now() - started >= wait.timeoutMs) {
      wait.onAttempt(attempt, false, detail);
      const failures = failed.length > 0 ? ` ${failureReason(failed)}` : '';
      return { ok: false, reason: `not healthy within ${Math.round(wait.timeoutMs / 1000)} s: ${detail}.${failures}` };
    }
    wait.onAttempt(attempt, false, detail);
    await deps.sleep(deps.pollMs);
  }
}
