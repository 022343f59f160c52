import type { Deployment } from '../deployment.js';
import { DeckhandError } from '../errors.js';
import type { AuditStore, DeploymentStore } from '../ports.js';

/** The audit action that asks a running deploy to stop. The pipeline reads it, so another process can abort. */
export const ABORT_ACTION = 'deploy.abort';
/** How often a running deploy looks for an abort recorded by another process (the CLI beside the bot). */
export const ABORT_POLL_MS = 500;

/** What an aborted run's signal carries as its reason: who asked. */
export class AbortRequested extends DeckhandError {
  constructor(readonly actor: string) {
    super('cancelled', `Cancelled by ${actor}.`, { actor });
  }
}

/** The error a cancelled run ends with: who cancelled it, when known. */
export function cancelledBy(signal: AbortSignal): DeckhandError {
  return signal.reason instanceof DeckhandError && signal.reason.code === 'cancelled' ? signal.reason : new DeckhandError('cancelled', 'The deploy was cancelled.');
}

interface Watched {
  app: string;
  controller: AbortController;
}

/**
 * Running deploys by id, each with its AbortController. An abort in this process aborts the controller at once;
 * one recorded by another process (an audit row `deploy.abort` naming the deployment) is found by polling.
 */
export class AbortRegistry {
  private readonly runs = new Map<number, Watched>();

  constructor(
    private readonly audit: Pick<AuditStore, 'list'>,
    private readonly pollMs = ABORT_POLL_MS,
  ) {}

  /** Registers a run; `stop()` must be called when it ends. The signal aborts with an AbortRequested reason. */
  watch(app: string, deploymentId: number): { signal: AbortSignal; stop(): void } {
    const controller = new AbortController();
    this.runs.set(deploymentId, { app, controller });
    let polling = false;
    const timer = setInterval(() => {
      if (polling || controller.signal.aborted) return;
      polling = true;
      void this.recorded(app, deploymentId)
        .then((actor) => {
          if (actor && !controller.signal.aborted) controller.abort(new AbortRequested(actor));
        })
        .catch(() => undefined) // the database away for a moment: the next poll asks again
        .finally(() => {
          polling = false;
        });
    }, this.pollMs);
    timer.unref();
    return {
      signal: controller.signal,
      stop: () => {
        clearInterval(timer);
        if (this.runs.get(deploymentId)?.controller === controller) this.runs.delete(deploymentId);
      },
    };
  }

  /** Aborts a run of this process; false when it does not run here (then the poll of its own process finds it). */
  abortHere(deploymentId: number, actor: string): boolean {
    const run = this.runs.get(deploymentId);
    if (!run) return false;
    if (!run.controller.signal.aborted) run.controller.abort(new AbortRequested(actor));
    return true;
  }

  private async recorded(app: string, deploymentId: number): Promise<string | undefined> {
    const rows = await this.audit.list({ app, action: ABORT_ACTION, limit: 20 });
    return rows.find((row) => row.deploymentId === deploymentId && row.result === 'ok')?.actor;
  }
}

export interface AbortDeps {
  store: Pick<DeploymentStore, 'inFlight'>;
  audit: Pick<AuditStore, 'record'>;
  aborts: AbortRegistry;
}

/**
 * Asks the app's running deploy to stop: records who asked (the audit row the running pipeline polls), and aborts
 * it at once when it runs in this process. Refuses with `not_found` when nothing runs for the app, or, with `only`,
 * when that deploy is not the one running (a delegated CLI's Ctrl-C must never stop someone else's deploy).
 */
export async function requestAbort(deps: AbortDeps, app: string, actor: string, only?: number): Promise<{ deployment: Deployment; here: boolean }> {
  const running = (await deps.store.inFlight(app)).filter((d) => d.status !== 'queued' && (only === undefined || d.id === only));
  const deployment = running.sort((a, b) => b.id - a.id)[0];
  if (!deployment) {
    await deps.audit.record({ actor, action: ABORT_ACTION, app, result: 'refused', details: { code: 'not_found' } });
    throw new DeckhandError('not_found', `No deploy of ${app} is running; there is nothing to abort.`, { app });
  }
  await deps.audit.record({ actor, action: ABORT_ACTION, app, deploymentId: deployment.id, result: 'ok', details: { status: deployment.status } });
  const here = deps.aborts.abortHere(deployment.id, actor);
  return { deployment, here };
}

/** How long a cancelled step may take to wind down (kill its build or container) before the run goes on. */
const WIND_DOWN_MS = 15_000;

/**
 * Runs `step` until it settles or `signal` aborts. On abort, waits (bounded) for the step to wind down, so what it
 * made (a build, a one-off container) is gone before the run records the cancel, then rejects with `cancelled()`.
 */
export function abortable<T>(step: Promise<T>, signal: AbortSignal, cancelled: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelled());
  const settled = step.then(
    () => undefined,
    () => undefined,
  );
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, WIND_DOWN_MS)));
      void Promise.race([settled, bound]).then(() => {
        clearTimeout(timer);
        reject(cancelled());
      });
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // Whichever comes first; a step that ends after the cancel was asked for still counts as cancelled.
  return Promise.race([step.then((value) => (signal.aborted ? aborted : value)), aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
