import type { AppSpec } from '../apps.js';
import type { Deployment, DeploymentPatch } from '../deployment.js';
import type { PipelineDeps, PipelineOptions } from './pipeline-types.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import type { Endpoint, SecretReader } from '../ports.js';
import { snapshotEnv } from '../rollback/env-snapshot.js';
import { PipelineOutput } from './pipeline-output.js';
import { retrying } from '../retry.js';
import { confirmServing, dropWatchFallback, revertAfterWatch, watchNewContainer } from './after-switch.js';
import { type Artifact, type StepContext, prepareArtifact, pushToRegistry } from './artifact-step.js';

export { type Artifact, imageRefFor } from './artifact-step.js';
import { type ResolvedEnv, resolveEnv } from '../secret-env.js';
import { startProcesses, waitProcessesHealthy } from './process-step.js';
import { retirePrevious } from './retire-step.js';
import { engineGone, undoRelease } from './undo-step.js';
import { servingNotRecorded } from './unrecorded.js';
import { abortable, cancelledBy } from './abort.js';
import { runRelease } from './release-step.js';
import { type Room, makeRoom, moveTraffic, throttledAttempts, waitWebHealthy } from './start-step.js';

export type { PipelineDeps, PipelineOptions, PipelineSettings } from './pipeline-types.js';

type Ending = 'failed' | 'reverted' | 'cancelled';

/**
 * The one path every deploy and rollback takes: env (secrets read) -> artifact -> start the web beside the old one
 * -> health check -> start the processes -> wait for them to be healthy -> traffic switch -> watch window (run.watch,
 * web and processes) -> stop the old release's containers (kept, stopped, as the instant rollback). On any failure
 * everything the release started is removed, the old release keeps (or goes back to) serving and running, and the
 * deployment ends `failed` (`reverted` when the watch window sent traffic back, `cancelled` when aborted).
 * Returns the deployment in its final state; never throws for a failure of the deploy itself.
 */
export async function runPipeline(deps: PipelineDeps, app: AppSpec, deployment: Deployment, artifact: Artifact, options: PipelineOptions = {}): Promise<Deployment> {
  const run = new PipelineRun(deps, app, deployment, options.signal, options.runRelease !== false);
  return run.execute(artifact);
}

class PipelineRun {
  private readonly out: PipelineOutput;
  private readonly started: number;
  /** The new web container and the port it listens on, once the runtime started it. */
  private newWeb: { id: string; port: number } | null = null;
  /** Where the new web answers once healthy (the nodes of a cluster runtime; 127.0.0.1 on one host). */
  private endpoints: Endpoint[] = [];
  /** The release's process containers, each pushed as it is created. */
  private readonly processIds: string[] = [];
  private stoppedForRecreate: string[] = [];
  /** The switch was asked for: requests may reach the new web, so a failure from then on drains it before removal. */
  private switched = false;
  /** The proxy still lists the previous version behind the new one (see dropWatchFallback): it is not retired. */
  private keepPrevious = false;
  /** Recreate: the old web containers' stop, which may still run while the new one starts (see makeRoom). */
  private stopping: Promise<void> = Promise.resolve();
  /** A success on fewer cluster nodes than asked, and why: said in the result. */
  private note: string | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  /** The write recording the new container (see start()). */
  private recorded: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: PipelineDeps,
    private readonly app: AppSpec,
    private deployment: Deployment,
    private readonly signal: AbortSignal = new AbortController().signal,
    private readonly runsRelease = true,
  ) {
    this.out = new PipelineOutput(deps, app, deployment.id);
    this.started = (deployment.startedAt ?? deps.clock.now()).getTime();
  }

  async execute(artifact: Artifact): Promise<Deployment> {
    let started: { containerId: string; port: number };
    let previous: Deployment | undefined;
    this.deps.traffic.takeNotes?.(); // what the proxy needed before this deploy is not this deploy's to say
    try {
      const env = this.resolveEnv();
      const step = this.stepContext();
      const image = await this.guarded(() => prepareArtifact(step, artifact));
      // An image found on the host is recorded with the start (one write before it), unless a release runs first.
      let carried: DeploymentPatch = artifact.kind === 'local-image' ? { imageRef: artifact.imageRef, imageId: image } : {};
      if (artifact.kind !== 'local-image') await pushToRegistry(step, image);
      else if (this.runsRelease) {
        await this.update(carried);
        carried = {};
      }
      if (this.runsRelease) await this.guarded(() => runRelease(step, image, this.signal, env.web));
      started = await this.guarded(() => this.start(image, env.web, carried));
      // What served until now, asked while the new container starts up (the app's lease keeps it from changing).
      const serving = this.deps.store.current(this.app.name);
      serving.catch(() => undefined);
      await this.guarded(() => this.health(started.containerId, started.port));
      // The new web serves: a stop of the old one that failed after it let go of the port leaves it to retirement.
      await this.guarded(() => this.stopping.catch((error: unknown) => this.out.phase('start', `Could not stop the previous container cleanly: ${asDeckhandError(error).message}`)));
      // The processes start once the web is healthy (a broken web never starts them), and must be healthy before traffic moves.
      const processes = await this.guarded(() => startProcesses(step, image, (name) => env.processes.get(name)!, this.processIds));
      await this.guarded(() => waitProcessesHealthy(step, processes, this.signal));
      this.signal.throwIfAborted(); // the switch itself is never cut short: traffic is never left half-moved
      this.switched = true; // from the switch call on, requests may reach the new web
      previous = await this.switchTraffic(started.port, serving);
    } catch (thrown) {
      return this.signal.aborted ? this.fail(cancelledBy(this.signal), 'cancelled') : this.fail(asDeckhandError(thrown));
    }
    return this.afterSwitch(started, previous);
  }

  /**
   * From the switch on, the new container is what users reach: no failure removes it. If it died right after the
   * switch (a Docker restart), it is started again, or traffic goes back to the previous container before the deploy
   * fails. Writes that record the result are retried; when the database stays away the deploy is left for recovery,
   * which records it from what runs once the database is back.
   */
  private async afterSwitch({ containerId, port }: { containerId: string; port: number }, previous: Deployment | undefined): Promise<Deployment> {
    const stillServing = await confirmServing(this.afterSwitchContext(), containerId, port, previous).catch((error: unknown) => error);
    if (stillServing !== true) return this.fail(asDeckhandError(stillServing));
    const ended = await this.watch(containerId, port, previous);
    if (ended) return ended;
    if (!this.keepPrevious) await retirePrevious(this.deps, this.app, this.deployment.id, (message) => this.out.phase('cleanup', message)).catch((error: unknown) =>
      this.out.phase('cleanup', `Could not stop the previous release: ${asDeckhandError(error).message}`),
    );
    for (const note of this.deps.traffic.takeNotes?.() ?? []) this.out.phase('cleanup', note);
    try {
      return await this.finish({ status: 'succeeded', containerId, upstreamPort: port }, true);
    } catch (error) {
      // The driver's error text may quote SQL: the user gets the sentence, the cause keeps the detail.
      const unrecorded = servingNotRecorded(this.deployment.id, this.app.name, error);
      this.out.phase('done', unrecorded.message);
      throw unrecorded;
    }
  }

  /**
   * The watch window (run.watch): the previous container keeps running while the new one is watched. On a failure
   * rule or an abort, traffic goes back to the previous container at once and the deploy ends `reverted` (the app
   * locked) or `cancelled`. Resolves undefined when the window passed quietly (or there is none).
   */
  private async watch(containerId: string, port: number, previous: Deployment | undefined): Promise<Deployment | undefined> {
    const windowMs = this.app.run.watchMs ?? 0;
    if (windowMs <= 0) return undefined;
    if (!previous?.containerId) {
      this.out.phase('watch', 'No watch window: there is no previous version to go back to');
      return undefined;
    }
    // In flight while watching: recovery leaves it to this process (it holds the lease) and `current` is still the previous deploy.
    await retrying(() => this.update({ status: 'watching' }), this.deps.clock, this.deps.settings.recordRetryMs).catch(() => undefined);
    this.out.phase('watch', `Watching #${this.deployment.id} for ${Math.round(windowMs / 1000)}s; #${previous.id} keeps running to take traffic back`);
    const outcome = await watchNewContainer(this.afterSwitchContext(), [containerId, ...this.processIds], port, windowMs, {
      signal: this.signal,
      countdown: (message) => this.out.phase('watch', message),
      probe: (ok, detail) => (ok ? undefined : this.out.phase('watch', `Health probe failed: ${detail}`)),
    });
    if (outcome.ok) {
      this.out.phase('watch', `The watch window passed: ${outcome.probes} probes, no failure rule fired`);
      this.keepPrevious = !(await dropWatchFallback(this.afterSwitchContext(), port, this.endpoints, previous));
      return undefined;
    }
    const ended = await revertAfterWatch(this.afterSwitchContext(), this.deployment.id, outcome, previous, this.signal);
    return this.fail(ended.error, ended.status, ended.evidence);
  }

  /** Reads the secret sources before anything starts; the redactor then knows their values. */
  private resolveEnv(): ResolvedEnv {
    const { secrets } = this.deps;
    const reader: SecretReader = secrets ?? { read: () => { throw new Error('this deckhand has no secret reader configured'); } };
    const env = resolveEnv(this.app, reader);
    this.out.secretsRead();
    return env;
  }

  private stepContext(): StepContext {
    return { deps: this.deps, app: this.app, deploymentId: this.deployment.id, update: (patch) => this.update(patch), phase: this.out.phase, log: this.out.log, signal: this.signal };
  }

  /** Runs a step unless cancelled; cancelled mid-way, the step winds down (bounded) and the run ends `cancelled`. */
  private guarded<T>(work: () => Promise<T>): Promise<T> {
    return this.signal.aborted ? Promise.reject(cancelledBy(this.signal)) : abortable(work(), this.signal, () => cancelledBy(this.signal));
  }

  private afterSwitchContext() {
    return { deps: this.deps, clock: this.deps.clock, app: this.app, redact: this.out.redact, phase: (message: string) => this.out.phase(this.deployment.status === 'watching' ? 'watch' : 'switch', message), health: (id: string, port: number) => this.health(id, port) };
  }

  /** Writes to the deployment row land in the order they were asked for, even when one runs beside other work. */
  private update(patch: DeploymentPatch): Promise<void> {
    const write = this.writes.then(async () => {
      this.deployment = await this.deps.store.update(this.deployment.id, patch);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  /**
   * One write before the container starts (status, env snapshot, a reused image's id: what recovery and later plans
   * need). It lands before the container starts and before recreate stops the old one (which also waits for the new
   * container to exist), but the new container is created meanwhile (a created container serves nothing; a failed
   * write removes it). The container id is recorded while the health check runs (recovery finds it by its label).
   */
  private async start(imageId: string, env: Record<string, string>, carried: DeploymentPatch): Promise<{ containerId: string; port: number }> {
    const written = this.update({ ...carried, status: 'starting', envSnapshot: snapshotEnv(env) });
    written.catch(() => undefined); // awaited below on every path
    let room: Room;
    try {
      room = await makeRoom(this.stepContext(), this.stoppedForRecreate, written);
    } catch (error) {
      await written.catch(() => undefined);
      throw error;
    }
    const { port } = room;
    this.stopping = room.stopping ?? Promise.resolve(); // awaited before the failure path, which restarts what it stopped
    this.out.phase('start', `Starting container on port ${port}`);
    const container = await this.deps.runtime
      .start({ app: this.app.name, deploymentId: this.deployment.id, image: imageId, port, env, settings: this.app.run.container, created: room.created ?? (() => written) })
      .finally(() => room.abandon?.(new Error('the new container was never created')));
    // A cluster runtime may bring back a retained service of this version, listening on its own port.
    const listening = container.port ?? port;
    this.newWeb = { id: container.id, port: listening };
    if (listening !== port) this.out.phase('start', `Scaled the retained ${container.name} back up (port ${listening})`);
    this.recorded = this.update({ containerId: container.id, upstreamPort: listening });
    this.recorded.catch(() => undefined);
    return { containerId: container.id, port: listening };
  }

  private async health(containerId: string, port: number): Promise<void> {
    const report = throttledAttempts(this.deps.clock, (attempt, ok, detail) => this.signal.aborted || this.out.emit({ type: 'health', attempt, ok, detail: this.out.redact(detail) }));
    this.endpoints = await waitWebHealthy(this.stepContext(), containerId, port, report, (note) => (this.note = note));
    await this.recorded;
  }

  /** The switch. The `switching` status is written beside it: recovery judges a deploy by what the proxy serves. */
  private async switchTraffic(port: number, serving: Promise<Deployment | undefined>): Promise<Deployment | undefined> {
    const switching = this.update({ status: 'switching' }).catch(() => undefined); // the result's write is retried after the switch
    const previous = await moveTraffic(this.stepContext(), port, this.endpoints, serving);
    for (const note of this.deps.traffic.takeNotes?.() ?? []) this.out.phase('switch', note);
    await switching;
    this.out.emit({ type: 'switch', from: previous?.id ?? null, to: this.deployment.id, mode: this.deps.traffic.mode });
    this.out.phase('switch', `Traffic on port ${this.app.run.port} now goes to #${this.deployment.id}`);
    return previous;
  }

  private async fail(error: DeckhandError, status: Ending = 'failed', evidence: string[] = []): Promise<Deployment> {
    await this.stopping.catch(() => undefined); // what recreate stopped is all known once its stop is over
    const started = { web: this.newWeb?.id ?? null, webPort: this.newWeb?.port ?? null, processes: this.processIds, stoppedForRecreate: this.stoppedForRecreate, served: this.switched };
    const { logTail, dockerDown } = await undoRelease(this.deps, this.app, started, this.out.buildLog.get(), this.out.redact, (message) => this.out.phase('cleanup', message));
    const told = status === 'failed' && dockerDown ? engineGone(dockerDown, error) : error;
    // After the switch the result must land (the retrying write), as for a success.
    return this.finish({ status, errorCode: told.code, error: this.out.redact(told.message), logTail: [...evidence.map(this.out.redact), ...logTail], containerId: null, upstreamPort: null }, status !== 'failed');
  }

  private async finish(patch: DeploymentPatch, mustLand = false): Promise<Deployment> {
    const finishedAt = this.deps.clock.now();
    if (mustLand) await retrying(() => this.update({ ...patch, finishedAt }), this.deps.clock, this.deps.settings.recordRetryMs);
    else await this.update({ ...patch, finishedAt });
    const durationMs = finishedAt.getTime() - this.started;
    const note = patch.status === 'succeeded' ? this.note : undefined;
    this.out.phase('done', patch.status === 'succeeded' ? `Deployed #${this.deployment.id}${note ? ` (${note})` : ''}` : patch.status === 'failed' ? `Failed: ${patch.error}` : `${patch.error}`);
    this.out.emit({
      type: 'result',
      status: this.deployment.status,
      error: this.deployment.error,
      durationMs,
      logTail: this.deployment.logTail ?? [],
      ...(note ? { note } : {}),
    });
    await this.out.settled();
    return this.deployment;
  }
}
