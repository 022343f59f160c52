import type { AppSpec, ProcessSpec } from '../apps.js';
import { DeckhandError } from '../errors.js';
import type { Runtime } from '../ports.js';
import type { StepContext } from './artifact-step.js';
import { containerProblem } from './health-wait.js';

/** How often a process's containers are looked at while they prove themselves healthy. */
const LOOK_EVERY_MS = 250;

/** The containers a process runs in one release. */
export interface ProcessContainers {
  process: ProcessSpec;
  ids: string[];
}

export const replicasText = (p: Pick<ProcessSpec, 'name' | 'replicas'>) => `${p.name} ×${p.replicas}`;

/** The web container's settings without its command: what a process container shares with it. */
export function processSettings(app: AppSpec, process: ProcessSpec) {
  const { command: _webCommand, ...shared } = app.run.container ?? {};
  void _webCommand;
  return { ...shared, command: process.command };
}

/**
 * Starts every replica of every process of the app from the release's image, each id pushed to `started` at once so
 * that a failure at any point removes exactly what this release started.
 */
export async function startProcesses(ctx: StepContext, image: string, envOf: (process: string) => Record<string, string>, started: string[]): Promise<ProcessContainers[]> {
  const out: ProcessContainers[] = [];
  for (const process of ctx.app.processes ?? []) {
    if (process.replicas === 0) continue;
    ctx.phase('processes', `Starting ${replicasText(process)}: ${process.command.join(' ')}`);
    const ids: string[] = [];
    for (let replica = 1; replica <= process.replicas; replica += 1) {
      const container = await ctx.deps.runtime.start({
        app: ctx.app.name,
        deploymentId: ctx.deploymentId,
        image,
        port: null,
        env: envOf(process.name),
        process: process.name,
        replica,
        settings: processSettings(ctx.app, process),
      });
      started.push(container.id);
      ids.push(container.id);
    }
    out.push({ process, ids });
  }
  return out;
}

/**
 * Waits until every process is healthy: its containers kept running (no exit, no restart) for `healthyAfter`, or,
 * with `health.cmd`, that command exited 0 inside each container within the app's health timeout. Throws
 * `health_check_failed` naming the process, the replica and why.
 */
export async function waitProcessesHealthy(ctx: StepContext, processes: ProcessContainers[], signal: AbortSignal): Promise<void> {
  await Promise.all(processes.map((p) => waitOne(ctx, p, signal)));
  if (processes.length > 0) ctx.phase('processes', `Healthy: ${processes.map((p) => replicasText(p.process)).join(', ')}`);
}

async function waitOne(ctx: StepContext, { process, ids }: ProcessContainers, signal: AbortSignal): Promise<void> {
  const { runtime, clock } = ctx.deps;
  const fail = (index: number, why: string) =>
    new DeckhandError('health_check_failed', `Process ${process.name} (replica ${index + 1} of ${ids.length}) is not healthy: ${why}`, { process: process.name, replica: index + 1 });
  const check = async () => {
    const states = await Promise.all(ids.map((id) => runtime.inspectContainer(id)));
    states.forEach((state, i) => {
      const problem = containerProblem(state);
      if (problem) throw fail(i, problem);
    });
  };
  const start = clock.now().getTime();
  if (process.healthCmd) {
    const deadline = start + ctx.app.run.healthTimeoutMs;
    const pending = new Set(ids.map((_, i) => i));
    let last = '';
    for (;;) {
      signal.throwIfAborted();
      await check();
      for (const i of [...pending]) {
        const result = await execHealth(runtime, ids[i]!, process.healthCmd, Math.max(1000, deadline - clock.now().getTime()));
        if (result.exitCode === 0) pending.delete(i);
        else last = `${process.healthCmd.join(' ')} exited with code ${result.exitCode}${result.output.length ? ` (${result.output.at(-1)})` : ''}`;
      }
      if (pending.size === 0) return;
      if (clock.now().getTime() >= deadline) throw fail([...pending][0]!, `its health command did not succeed within ${ctx.app.run.healthTimeoutMs / 1000}s: ${last}`);
      await clock.sleep(LOOK_EVERY_MS);
    }
  }
  ctx.phase('processes', `Waiting ${process.healthyAfterMs / 1000}s for ${replicasText(process)} to keep running`);
  for (;;) {
    signal.throwIfAborted();
    await check();
    const left = start + process.healthyAfterMs - clock.now().getTime();
    if (left <= 0) return;
    await clock.sleep(Math.min(LOOK_EVERY_MS, left));
  }
}

async function execHealth(runtime: Runtime, id: string, argv: string[], timeoutMs: number) {
  try {
    return await runtime.exec(id, argv, timeoutMs);
  } catch (error) {
    // A container that stopped under the command is reported by the state check on the next look.
    return { exitCode: -1, output: [error instanceof Error ? error.message : String(error)] };
  }
}

/** A process container of the release that stopped or restarted, if any: its log says more than the web's. */
export async function failedProcess(runtime: Runtime, ids: string[]): Promise<string | undefined> {
  for (const id of ids) {
    const state = await runtime.inspectContainer(id).catch(() => undefined);
    if (state && containerProblem(state)) return id;
  }
  return undefined;
}
