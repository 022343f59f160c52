import type { AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import type { Deployment } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import { retrying } from '../retry.js';
import type { PipelineDeps } from './pipeline.js';

export interface AfterSwitchContext {
  deps: Pick<PipelineDeps, 'runtime' | 'traffic'>;
  clock: Clock;
  app: AppSpec;
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

/** Puts the previous deploy's container back in front of users (proxy mode), started again if it was stopped. */
async function revertTo(ctx: AfterSwitchContext, previous: Deployment | undefined): Promise<void> {
  const { runtime, traffic } = ctx.deps;
  if (!previous?.containerId) return;
  try {
    await runtime.restart(previous.containerId);
    if (traffic.mode === 'proxy' && previous.upstreamPort) await traffic.point(ctx.app.name, ctx.app.run.port, previous.upstreamPort);
    ctx.phase(`Traffic went back to #${previous.id}`);
  } catch (error) {
    ctx.phase(`Could not move traffic back to #${previous.id}: ${asDeckhandError(error).message}`);
  }
}
