import type { Clock } from '../clock.js';
import type { Deployment } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import { watchFallback } from './after-switch.js';
import { hostsOf } from './endpoints.js';
import type { Endpoint } from '../ports.js';
import type { StepContext } from './artifact-step.js';
import { containerProblem, waitForHealthy } from './health-wait.js';
import { isWeb } from './serving.js';
import { healthJudge } from '../runtime-health.js';
import { cancelledBy } from './abort.js';

/** How often recreate looks whether the old container let go of the public port. */
const RELEASE_POLL_MS = 5;

/**
 * Makes room for the new container and says where it listens. Proxy: a free port beside the old container, which
 * keeps serving. Recreate: the public port. The old container is stopped only once the new one exists (`created`,
 * called by the runtime) and the deploy's row says it starts (`recorded`): a create or a write that fails, or an
 * abort before the create is done, stops nothing. The new container then starts once nothing listens on the port any more (the old container closed it, or
 * finished stopping), while `stopping` runs to its end (Docker's teardown of the old container takes longer than the
 * app's exit; the new one need not wait for it); an app with volumes waits for the whole stop. Each id is pushed to
 * `stopped` as its stop is asked, so a failure (or an abort) at any point starts exactly those again; callers let
 * `stopping` settle before such a failure path runs, and call `abandon` when the runtime's start failed (before or
 * after `created`: once it was called, abandoning changes nothing).
 */
export async function makeRoom(ctx: StepContext, stopped: string[], recorded: Promise<void> = Promise.resolve()): Promise<Room> {
  const { runtime, traffic } = ctx.deps;
  if (traffic.mode === 'proxy') return { port: await runtime.freePort(ctx.app.name) };
  // Recreate drops requests: every deploy says so once, plainly, with how to avoid it.
  for (const warning of (await traffic.warnings?.()) ?? []) ctx.phase('start', `Warning: ${warning}`);
  // Only the web holds the public port: the old release's processes keep running until the new release serves.
  const running = (await runtime.listContainers(ctx.app.name)).filter((c) => c.running && isWeb(c));
  if (running.length === 0) return { port: ctx.app.run.port };
  let begin!: () => void;
  let abandon!: (error: unknown) => void;
  const exists = new Promise<void>((resolve, reject) => ((begin = resolve), (abandon = reject)));
  const stopping = (async () => {
    await exists;
    await recorded;
    ctx.phase('start', `Stopping ${running.map((c) => c.name).join(', ')} (recreate strategy: the app is down until the new container is healthy)`);
    for (const container of running) {
      // Counted before it is asked: a stop that fails may have stopped it all the same (the app exited, then Docker
      // answered an error), and a failure path then starts it again. Starting one that still runs changes nothing.
      stopped.push(container.id);
      await runtime.stop(container.id);
    }
  })();
  stopping.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection
  // With volumes the old container may hold more than the port (a lock file, a pidfile): its whole stop comes first.
  const shares = (ctx.app.run.container?.volumes?.length ?? 0) > 0;
  const created = () => {
    // Aborted while the new container was being created: nothing has been stopped yet, and nothing will be.
    if (ctx.signal?.aborted) {
      const cancelled = cancelledBy(ctx.signal);
      abandon(cancelled);
      return Promise.reject(cancelled);
    }
    begin();
    return shares ? stopping : recorded.then(() => portReleased(ctx, ctx.app.run.port, stopping));
  };
  return { port: ctx.app.run.port, created, stopping, abandon };
}

/** Where the new container listens, and (recreate) what frees the public port for it: see makeRoom. */
export interface Room {
  port: number;
  created?: () => Promise<void>;
  stopping?: Promise<void>;
  abandon?: (error: unknown) => void;
}

/** Resolves once a connection to the port is refused or the stop is over; rejects when the stop fails and the port is still taken. */
async function portReleased(ctx: StepContext, port: number, stopping: Promise<void>): Promise<void> {
  const { health, clock } = ctx.deps;
  if (!health.refuses) return stopping;
  let over = false;
  const settled = stopping.then(
    () => (over = true),
    () => (over = true),
  );
  const refused = (async () => {
    while (!over && !(await health.refuses!(port))) await Promise.race([clock.sleep(RELEASE_POLL_MS), settled]);
  })();
  try {
    await Promise.race([refused, stopping]);
  } catch (error) {
    // The stop failed before the port was seen free. Docker may fail a stop after the app exited: the port decides.
    if (!(await health.refuses(port))) throw error;
  }
}

/**
 * Waits for the new web container's health path to answer 2xx; throws `health_check_failed` when it does not.
 * Resolves where it answers. A cluster runtime judges its tasks' health itself (`Runtime.waitHealthy`); on one
 * Docker host deckhand probes 127.0.0.1.
 */
export async function waitWebHealthy(ctx: StepContext, containerId: string, port: number, onAttempt: (attempt: number, ok: boolean, detail: string) => void, onNote?: (note: string) => void): Promise<Endpoint[]> {
  const { runtime, health, clock } = ctx.deps;
  const { app, signal } = ctx;
  ctx.phase('health', `Waiting for ${app.run.health} to answer 2xx (timeout ${app.run.healthTimeoutMs / 1000}s)`);
  const judge = healthJudge(runtime, app.name);
  if (judge) {
    // Node loss, task failures and moves seen while waiting go to the thread as they happen.
    const onNotice = (message: string) => ctx.phase('nodes', message);
    const judged = await judge(containerId, { timeoutMs: app.run.healthTimeoutMs, signal, onAttempt, onNotice });
    if (!judged.ok) throw new DeckhandError('health_check_failed', judged.reason);
    if (judged.note) {
      ctx.phase('nodes', judged.note);
      onNote?.(judged.note);
    }
    return judged.endpoints;
  }
  const outcome = await waitForHealthy({
    url: `http://127.0.0.1:${port}${app.run.health}`,
    timeoutMs: app.run.healthTimeoutMs,
    probe: health,
    clock,
    containerProblem: async () => (signal?.aborted ? 'the deploy was cancelled' : containerProblem(await runtime.inspectContainer(containerId))),
    onAttempt,
  });
  if (!outcome.ok) throw new DeckhandError('health_check_failed', outcome.reason, { attempts: outcome.attempts });
  return [{ host: '127.0.0.1', port }];
}

/**
 * Points the proxy at the new version (proxy mode). `previous`: the deploy that served until now, asked while the
 * new container started (under the app's lease it cannot change meanwhile); resolved back to the caller.
 */
export async function moveTraffic(ctx: StepContext, port: number, endpoints: Endpoint[], previous: Promise<Deployment | undefined>): Promise<Deployment | undefined> {
  const { traffic } = ctx.deps;
  const before = await previous; // a database that cannot say must fail the deploy before traffic moves
  if (traffic.mode !== 'proxy') return before;
  // The host's settings are read beside the switch (a file read), and said before the switch is reported.
  const warnings = Promise.resolve(traffic.warnings?.()).catch(() => undefined);
  try {
    await traffic.point(ctx.app.name, ctx.app.run.port, port, hostsOf(endpoints), watchFallback(ctx.app, before, endpoints));
  } catch (error) {
    throw new DeckhandError('traffic_switch_failed', `Could not move traffic: ${asDeckhandError(error).message}`, {}, { cause: error });
  } finally {
    for (const warning of (await warnings) ?? []) ctx.phase('switch', `Warning: ${warning}`);
  }
  return before;
}

/** Health attempts come every 5 ms at first: the first, any change, the success and one a second are passed on. */
export function throttledAttempts(clock: Clock, report: (attempt: number, ok: boolean, detail: string) => void): (attempt: number, ok: boolean, detail: string) => void {
  let last: { at: number; detail: string } | undefined;
  return (attempt, ok, detail) => {
    const at = clock.now().getTime();
    if (!ok && last && last.detail === detail && at - last.at < 1000) return;
    last = { at, detail };
    report(attempt, ok, detail);
  };
}
