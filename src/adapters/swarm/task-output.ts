import { cleanLogLines } from '../../domain/log-text.js';
import type { DockerCalls } from '../docker/docker-calls.js';
import { demuxDockerLogs } from '../docker/log-frames.js';
import type { SwarmTask } from './service-state.js';

const PORT_TAKEN = /address (already )?in use/i;
/** Lines quoted from each failed task. */
const QUOTED = 3;

async function taskLogs(calls: DockerCalls, id: string, tail: number): Promise<string[]> {
  const task = calls.docker.getTask(id);
  const logs = (task as unknown as { logs: unknown }).logs as (o: object) => Promise<unknown>;
  const output = await calls.call(`read the logs of task ${id.slice(0, 12)}`, (abortSignal) => logs.call(task, { stdout: true, stderr: true, tail, follow: false, abortSignal }));
  const buffer = output as Buffer;
  return cleanLogLines(demuxDockerLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer))));
}

/**
 * What the tasks that exited said last (a task that turned unhealthy or was rejected says it in its error already).
 * Host networking: a port something else holds on a node fails the task's bind; that is named first, with the nodes.
 */
export async function explainExits(calls: DockerCalls, failed: SwarmTask[], port: number | null): Promise<string> {
  const exited = failed.filter((t) => /non-zero exit/.test(t.message) && !/unhealthy/.test(t.message)).slice(0, 3);
  const quoted: string[] = [];
  const taken = new Set<string>();
  for (const task of exited) {
    const lines = await taskLogs(calls, task.id, 20).catch(() => [] as string[]);
    if (lines.some((l) => PORT_TAKEN.test(l))) taken.add(task.addr || task.node);
    quoted.push(...lines.slice(-QUOTED).map((line) => `${task.addr || task.node}: ${line}`));
  }
  const portTaken = taken.size > 0 ? `Port ${port ?? '?'} is already in use on ${[...taken].join(', ')} (host networking: another process holds it there). ` : '';
  const output = quoted.length > 0 ? `Last output: ${[...new Set(quoted)].join(' | ')}. ` : '';
  return `${portTaken}${output}`;
}
