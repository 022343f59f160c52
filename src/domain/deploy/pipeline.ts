import type { AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import type { Deployment } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import type { DeploymentEventStore, DeploymentStore, HealthProbe, Runtime, SourceRepo, TrafficSwitch } from '../ports.js';
import { type DeployEvent, type DeployEventBus, LogTail, type Phase } from './events.js';
import { containerProblem, waitForHealthy } from './health-wait.js';
import { cleanLogLine } from '../log-text.js';
import { snapshotEnv } from '../rollback/env-snapshot.js';
import { appRedactor } from '../redact.js';
import { retrying } from '../retry.js';
import { confirmServing } from './after-switch.js';
import { type Artifact, type StepContext, prepareArtifact, pushToRegistry } from './artifact-step.js';

export { type Artifact, imageRefFor } from './artifact-step.js';
import { safeToTouch, whatServes } from './serving.js';

export interface PipelineSettings {
  /** How long the old container keeps running after traffic moved, for in-flight requests. */
  drainMs: number;
  logTailLines: number;
  /** Waits between attempts to record a deploy that already serves (default RECORD_RETRY_MS). */
  recordRetryMs?: readonly number[];
}

export interface PipelineDeps {
  runtime: Runtime;
  source: SourceRepo;
  traffic: TrafficSwitch;
  health: HealthProbe;
  clock: Clock;
  store: DeploymentStore;
  events: DeploymentEventStore;
  bus: DeployEventBus;
  settings: PipelineSettings;
}


/**
 * The one path every deploy and rollback takes: artifact -> start beside the old container -> health check ->
 * traffic switch -> stop the old container (kept, stopped, as the instant rollback). On any failure the new
 * container is removed, the old one keeps (or goes back to) serving, and the deployment ends `failed`.
 * Returns the deployment in its final state; never throws for a failure of the deploy itself.
 */
export async function runPipeline(deps: PipelineDeps, app: AppSpec, deployment: Deployment, artifact: Artifact): Promise<Deployment> {
  const run = new PipelineRun(deps, app, deployment);
  return run.execute(artifact);
}

class PipelineRun {
  private readonly buildLog: LogTail;
  private readonly started: number;
  /** Everything that leaves the pipeline (events, stored logs and errors) goes through this first. */
  private readonly redact: (text: string) => string;
  private pending: Promise<unknown> = Promise.resolve();
  private newContainerId: string | null = null;
  private stoppedForRecreate: string[] = [];

  constructor(
    private readonly deps: PipelineDeps,
    private readonly app: AppSpec,
    private deployment: Deployment,
  ) {
    this.buildLog = new LogTail(deps.settings.logTailLines);
    this.redact = appRedactor(app);
    this.started = (deployment.startedAt ?? deps.clock.now()).getTime();
  }

  async execute(artifact: Artifact): Promise<Deployment> {
    let started: { containerId: string; port: number };
    let previous: Deployment | undefined;
    try {
      const step = this.stepContext();
      const image = await prepareArtifact(step, artifact);
      if (artifact.kind !== 'local-image') await pushToRegistry(step, image);
      started = await this.start(image);
      await this.health(started.containerId, started.port);
      previous = await this.switchTraffic(started.port);
    } catch (thrown) {
      return this.fail(asDeckhandError(thrown));
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
    await this.cleanup(containerId).catch((error: unknown) => this.phase('cleanup', `Could not stop the previous container: ${asDeckhandError(error).message}`));
    try {
      return await this.finish({ status: 'succeeded', containerId, upstreamPort: port }, true);
    } catch (error) {
      // The driver's error text may quote SQL: the user gets the sentence, the cause keeps the detail.
      const message = `#${this.deployment.id} serves ${this.app.name}, but deckhand could not record it: the database is unavailable. It will be recorded from what runs when the database is back; nothing was removed.`;
      this.phase('done', message);
      throw new DeckhandError('database_unavailable', message, { id: this.deployment.id, serving: true }, { cause: error });
    }
  }

  private stepContext(): StepContext {
    return { deps: this.deps, app: this.app, deploymentId: this.deployment.id, update: (patch) => this.update(patch), phase: (phase, message) => this.phase(phase, message), log: this.log };
  }

  private afterSwitchContext() {
    return { deps: this.deps, clock: this.deps.clock, app: this.app, phase: (message: string) => this.phase('switch', message), health: (id: string, port: number) => this.health(id, port) };
  }

  private emit(event: DistributiveOmit<DeployEvent, 'deploymentId' | 'app' | 'at'>): void {
    const full = { ...event, deploymentId: this.deployment.id, app: this.app.name, at: this.deps.clock.now() } as DeployEvent;
    this.deps.bus.emit(full);
    if (full.type !== 'log') {
      // Event rows are written in order; a failed write must not fail the deploy.
      this.pending = this.pending.then(() => this.deps.events.append(full)).catch((error) => {
        process.emitWarning(`deckhand: could not record a deploy event: ${asDeckhandError(error).message}`);
      });
    }
  }

  private phase(phase: Phase, message: string): void {
    this.emit({ type: 'phase', phase, message: this.redact(message) });
  }

  private log = (raw: string): void => {
    const line = this.redact(cleanLogLine(raw));
    this.buildLog.push(line);
    this.emit({ type: 'log', line });
  };

  private async update(patch: Parameters<DeploymentStore['update']>[1]): Promise<void> {
    this.deployment = await this.deps.store.update(this.deployment.id, patch);
  }

  private async start(imageId: string): Promise<{ containerId: string; port: number }> {
    const { runtime, traffic } = this.deps;
    await this.update({ status: 'starting', envSnapshot: snapshotEnv(this.app.run.env) });
    let port = this.app.run.port;
    if (traffic.mode === 'proxy') {
      port = await runtime.freePort();
    } else {
      for (const warning of (await traffic.warnings?.()) ?? []) this.phase('start', `Warning: ${warning}`);
      const running = (await runtime.listContainers(this.app.name)).filter((c) => c.running);
      if (running.length > 0) {
        this.phase('start', `Stopping ${running.map((c) => c.name).join(', ')} (recreate strategy: the app is down until the new container is healthy)`);
        for (const container of running) {
          await runtime.stop(container.id);
          this.stoppedForRecreate.push(container.id);
        }
      }
    }
    this.phase('start', `Starting container on port ${port}`);
    const container = await runtime.start({
      app: this.app.name,
      deploymentId: this.deployment.id,
      image: imageId,
      port,
      env: this.app.run.env,
    });
    this.newContainerId = container.id;
    await this.update({ containerId: container.id, upstreamPort: port });
    return { containerId: container.id, port };
  }

  private async health(containerId: string, port: number): Promise<void> {
    const { runtime } = this.deps;
    const url = `http://127.0.0.1:${port}${this.app.run.health}`;
    this.phase('health', `Waiting for ${this.app.run.health} to answer 2xx (timeout ${this.app.run.healthTimeoutMs / 1000}s)`);
    const outcome = await waitForHealthy({
      url,
      timeoutMs: this.app.run.healthTimeoutMs,
      probe: this.deps.health,
      clock: this.deps.clock,
      containerProblem: async () => containerProblem(await runtime.inspectContainer(containerId)),
      onAttempt: (attempt, ok, detail) => this.emit({ type: 'health', attempt, ok, detail: this.redact(detail) }),
    });
    if (!outcome.ok) throw new DeckhandError('health_check_failed', outcome.reason, { attempts: outcome.attempts });
  }

  private async switchTraffic(port: number): Promise<Deployment | undefined> {
    const { traffic, store } = this.deps;
    await this.update({ status: 'switching' });
    const previous = await store.current(this.app.name);
    if (traffic.mode === 'proxy') {
      for (const warning of (await traffic.warnings?.()) ?? []) this.phase('switch', `Warning: ${warning}`);
      try {
        await traffic.point(this.app.name, this.app.run.port, port);
      } catch (error) {
        throw new DeckhandError('traffic_switch_failed', `Could not move traffic: ${asDeckhandError(error).message}`, {}, { cause: error });
      }
    }
    this.emit({ type: 'switch', from: previous?.id ?? null, to: this.deployment.id, mode: traffic.mode });
    this.phase('switch', `Traffic on port ${this.app.run.port} now goes to #${this.deployment.id}`);
    return previous;
  }

  private async cleanup(newContainerId: string): Promise<void> {
    const { runtime, clock, settings } = this.deps;
    const containers = await runtime.listContainers(this.app.name);
    const serving = await whatServes(this.deps, this.app, containers);
    // Never stop what serves: after the switch that is the new container, unless the proxy says otherwise.
    const others = containers.filter((c) => c.running && c.id !== newContainerId && (this.deps.traffic.mode !== 'proxy' || safeToTouch(serving, c)));
    if (others.length === 0) return;
    if (settings.drainMs > 0) await clock.sleep(settings.drainMs);
    for (const container of others) {
      try {
        await runtime.stop(container.id);
        this.phase('cleanup', `Stopped ${container.name} (kept for an instant rollback)`);
      } catch (error) {
        this.phase('cleanup', `Could not stop ${container.name}: ${asDeckhandError(error).message}`);
      }
    }
  }

  private async fail(error: DeckhandError): Promise<Deployment> {
    const { runtime } = this.deps;
    let logTail = this.buildLog.get();
    if (this.newContainerId) {
      const id = this.newContainerId;
      logTail = (await runtime.logsTail(id, this.deps.settings.logTailLines).catch(() => logTail)).map((line) => this.redact(cleanLogLine(line)));
      // Asked first, every time: a container the proxy serves is never removed by a failure path.
      const serving = this.deps.traffic.mode === 'proxy' ? await whatServes(this.deps, this.app) : undefined;
      if (!serving || safeToTouch(serving, { id, running: true })) await runtime.remove(id).catch(() => undefined);
      else this.phase('cleanup', `Left ${id.slice(0, 12)} running: it serves traffic now (${serving.known ? 'the proxy points at it' : serving.reason})`);
    }
    for (const id of this.stoppedForRecreate) {
      try {
        await runtime.restart(id);
        this.phase('cleanup', 'Restarted the previous container');
      } catch (restartError) {
        this.phase('cleanup', `Could not restart the previous container: ${asDeckhandError(restartError).message}`);
      }
    }
    return this.finish({ status: 'failed', errorCode: error.code, error: this.redact(error.message), logTail, containerId: null, upstreamPort: null });
  }

  private async finish(patch: Parameters<DeploymentStore['update']>[1], mustLand = false): Promise<Deployment> {
    const finishedAt = this.deps.clock.now();
    if (mustLand) await retrying(() => this.update({ ...patch, finishedAt }), this.deps.clock, this.deps.settings.recordRetryMs);
    else await this.update({ ...patch, finishedAt });
    const durationMs = finishedAt.getTime() - this.started;
    this.phase('done', patch.status === 'succeeded' ? `Deployed #${this.deployment.id}` : `Failed: ${patch.error}`);
    this.emit({
      type: 'result',
      status: this.deployment.status,
      error: this.deployment.error,
      durationMs,
      logTail: this.deployment.logTail ?? [],
    });
    await this.pending;
    return this.deployment;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
