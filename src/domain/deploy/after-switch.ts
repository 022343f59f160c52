import type { AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import type { Deployment } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import { retrying } from '../retry.js';
import type { PipelineDeps } from './pipeline.js';
import { hostsOf } from './endpoints.js';
import type { Endpoint } from '../ports.js';
import { containerProblem } from './health-wait.js';
import { type WatchOutcome, watchWindow } from './watch.js';
import { healthJudge } from '../runtime-health.js';

type WatchFailed = Exclude<WatchOutcome, { ok: true }>;

export interface AfterSwitchContext {
  deps: Pick<PipelineDeps, 'runtime' | 'traffic' | 'health' | 'locks'>;
  clock: Clock;
  app: AppSpec;
  redact: (text: string) => string;
  phase: (message: string) => void;
  /** The pipeline's health check; throws when the container does not become healthy. */
  health: (containerId: string, port: number) => Promise<void>;
}

/**
 * Right after the switch, makes sure the new container still runs (a Docker restart at that moment kills it, and a
 * dead container must never be recorded as the one that serves). A stopped one is started again and health-checked;
 * if it cannot serve, traffic goes back to the previous deploy's container and the deploy fails. Resolves true when
 * the new container serves; Docker not answering for ~15 s counts as serving (the proxy points at it, and the
 * watchdog checks again once Docker answers).
 */
export async function confirmServing(ctx: AfterSwitchContext, containerId: string, port: number, previous: Deployment | undefined): Promise<true> {
  const { runtime } = ctx.deps;
  // Docker restarting at this moment is the case that matters: ask again while it comes back (bounded).
  const state = await retrying(() => runtime.inspectContainer(containerId), ctx.clock).catch(() => null);
  if (state === null || state?.running) return true;
  ctx.phase('The new container stopped right after traffic moved: starting it again');
  try {
    await runtime.restart(containerId);
    await ctx.health(containerId, port);
    return true;
  } catch (error) {
    const reason = asDeckhandError(error).message;
    await revertTo(ctx, previous);
    throw new DeckhandError('health_check_failed', `The new container stopped right after traffic moved and did not come back: ${reason}`, {}, { cause: error });
  }
}

/** After a failed confirm: traffic back to the previous deploy (see takeTrafficBack); a refusal is reported, not thrown. */
async function revertTo(ctx: AfterSwitchContext, previous: Deployment | undefined): Promise<void> {
  if (!previous) return;
  try {
    await takeTrafficBack(ctx, previous);
  } catch (error) {
    ctx.phase(`Could not move traffic back to #${previous.id}: ${asDeckhandError(error).message}`);
  }
}

/** How often the watch window asks the state of a runtime that judges health itself (one probe a second otherwise). */
export const STATE_WATCH_INTERVAL_MS = 250;

export interface WatchHooks {
  signal: AbortSignal;
  countdown: (message: string) => void;
  probe: (ok: boolean, detail: string) => void;
}

/**
 * The watch window: the new container serves while the previous one still runs. Probes the new one every second,
 * asks its state and that of the release's process containers (the first id is the web container), and with a proxy reads the app's 5xx ratio from the proxy's own counters. Resolves with what it saw.
 */
export async function watchNewContainer(ctx: AfterSwitchContext, containerIds: string[], port: number, windowMs: number, hooks: WatchHooks): Promise<WatchOutcome> {
  const [containerId] = containerIds as [string, ...string[]];
  const { runtime, traffic, health } = ctx.deps;
  const responses = traffic.mode === 'proxy' && traffic.responses ? () => traffic.responses!(ctx.app.name) : undefined;
  return watchWindow({
    // A runtime that judges health itself (a cluster's task healthchecks) is not probed on 127.0.0.1: its tasks run
    // on other nodes, and their health is in the state asked below (an unhealthy task is replaced and reported).
    // Such a runtime stops an unhealthy task once its stop grace period ends, so its state is asked four times as
    // often as a probe runs: the revert has to land inside that grace, not a second later.
    ...(healthJudge(runtime, ctx.app.name) ? { intervalMs: STATE_WATCH_INTERVAL_MS } : { url: `http://127.0.0.1:${port}${ctx.app.run.health}`, probe: health }),
    windowMs,
    clock: ctx.clock,
    // Docker not answering is not the container failing: only a state Docker reports counts.
    // The web container and every process container of the release: one of them exiting is the release failing.
    containerProblem: async () => {
      for (const [i, id] of containerIds.entries()) {
        const state = await runtime.inspectContainer(id).catch(() => null);
        const problem = state === null ? undefined : containerProblem(state);
        if (problem) return i === 0 ? problem : `${state?.name ?? id.slice(0, 12)}: ${problem}`;
      }
      return undefined;
    },
    responses,
    signal: hooks.signal,
    onProbe: hooks.probe,
    onCountdown: (remainingMs) => hooks.countdown(`Watching #${containerId.slice(0, 12)}: ${Math.ceil(remainingMs / 1000)}s left in the watch window`),
  });
}

/**
 * The previous version's port, listed behind the new one while the watch window runs (proxy mode on one Docker
 * host, a previous container to go back to): a request the new version cannot take goes there at once, with no config
 * change (TrafficSwitch.point). Undefined when there is no window or nothing to fall back on.
 */
export function watchFallback(app: AppSpec, previous: Deployment | undefined, endpoints: Endpoint[]): number | undefined {
  if ((app.run.watchMs ?? 0) <= 0 || !previous?.containerId || !previous.upstreamPort) return undefined;
  return hostsOf(endpoints).length === 0 ? previous.upstreamPort : undefined;
}

/**
 * The watch window passed: the new version alone behind the public port, before the previous one is drained and
 * stopped (its in-flight requests finish on the old config during the drain). Resolves false when the proxy still
 * lists the previous version (it could not be asked, after retries): that version must then keep running, because
 * a port the proxy lists must never be stopped and later handed to another container. The next switch rewrites it.
 */
export async function dropWatchFallback(ctx: AfterSwitchContext, port: number, endpoints: Endpoint[], previous: Deployment): Promise<boolean> {
  const { traffic } = ctx.deps;
  if (traffic.mode !== 'proxy' || watchFallback(ctx.app, previous, endpoints) === undefined) return true;
  try {
    await retrying(() => traffic.point(ctx.app.name, ctx.app.run.port, port, hostsOf(endpoints)), ctx.clock);
    return true;
  } catch (error) {
    ctx.phase(`The proxy still lists #${previous.id} behind the new version (${asDeckhandError(error).message}): #${previous.id} keeps running until the next deploy`);
    return false;
  }
}

/**
 * Sends traffic back to the previous deploy's container at once (proxy mode; it still runs during the window, and
 * is started again first if something stopped it). Recreate mode has nothing to point: the pipeline's failure path
 * stops the new container and starts the previous one. Throws when the proxy refused.
 */
export async function takeTrafficBack(ctx: AfterSwitchContext, previous: Deployment): Promise<void> {
  const { runtime, traffic } = ctx.deps;
  if (traffic.mode !== 'proxy' || !previous.containerId || !previous.upstreamPort) return;
  let state = await runtime.inspectContainer(previous.containerId).catch(() => undefined);
  if (state && !state.running) {
    await runtime.restart(previous.containerId);
    await ctx.health(previous.containerId, previous.upstreamPort);
    state = await runtime.inspectContainer(previous.containerId).catch(() => state);
  }
  await retrying(() => traffic.point(ctx.app.name, ctx.app.run.port, previous.upstreamPort!, hostsOf(state?.endpoints)), ctx.clock);
  ctx.phase(`Traffic went back to #${previous.id}`);
}

/**
 * After a failure rule fired (or an abort) in the watch window: traffic goes back to the previous container, a
 * revert locks the app ("reverted #N: <reason>", like a rollback does), and the deploy's ending is described in one
 * sentence with its evidence (the last probes; the pipeline adds the container's last log lines).
 */
export async function revertAfterWatch(ctx: AfterSwitchContext, deploymentId: number, outcome: WatchFailed, previous: Deployment, signal: AbortSignal): Promise<{ error: DeckhandError; status: 'reverted' | 'cancelled'; evidence: string[] }> {
  const cancelled = outcome.kind === 'aborted';
  let back = `traffic went back to #${previous.id}`;
  try {
    await takeTrafficBack(ctx, previous);
  } catch (error) {
    back = `traffic could not go back to #${previous.id}: ${asDeckhandError(error).message}`;
  }
  const reason = cancelled ? `${outcome.reason}${abortReason(signal)}` : outcome.reason;
  const message = `${cancelled ? 'Cancelled' : 'Reverted'} #${deploymentId}: ${reason}; ${back}.`;
  const locks = ctx.deps.locks;
  if (!cancelled && locks) {
    const lock = { app: ctx.app.name, reason: ctx.redact(`reverted #${deploymentId}: ${outcome.reason}`), lockedBy: 'deckhand', lockedAt: ctx.clock.now(), deploymentId };
    await retrying(() => locks.set(lock), ctx.clock).catch((error: unknown) => ctx.phase(`Could not lock ${ctx.app.name}: ${asDeckhandError(error).message}`));
  }
  return {
    error: new DeckhandError(cancelled ? 'cancelled' : 'watch_failed', message, { previous: previous.id }),
    status: cancelled ? 'cancelled' : 'reverted',
    evidence: outcome.lastProbes.length ? ['-- last health probes --', ...outcome.lastProbes, '-- container log --'] : [],
  };
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string' && reason) return ` (${reason})`;
  if (reason instanceof DeckhandError) return ` (${reason.message})`;
  return '';
}
