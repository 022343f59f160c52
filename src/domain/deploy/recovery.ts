import type { AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import type { Deployment } from '../deployment.js';
import type { AuditStore, ContainerState, HealthProbe } from '../ports.js';
import { drainWeb } from './drain.js';
import { answersAgain } from './health-wait.js';
import type { PipelineSettings } from './pipeline-types.js';
import { hostsOf } from './endpoints.js';
import { type Serving, type ServingDeps, isWeb, listedPorts, safeToTouch, whatServes } from './serving.js';

export interface RecoveryDeps extends ServingDeps {
  health: HealthProbe;
  clock: Clock;
  audit: AuditStore;
  /** The drain a version traffic moved away from gets before it is removed or stopped. */
  settings: Pick<PipelineSettings, 'drainMs'>;
}

interface Live {
  container: ContainerState;
  deploymentId: number | null;
  port: number;
}

/** The current deploy's container was removed outside deckhand: the way back, in one command (a rollback to it makes a new one). */
export const nothingLeft = (app: string, id: number) =>
  `the container of #${id} is gone (removed outside deckhand): nothing serves ${app}. Bring #${id} back in a new container from its image with \`deckhand rollback ${app} ${id}\` (or /rollback ${app} ${id}), or deploy again`;

/** Ports of running webs the proxy listed (first or behind) other than the one it now sends to alone. */
function awayPorts(serving: Serving, containers: ContainerState[], live: Live): number[] {
  if (!serving.known) return [];
  const listed = new Set([...(serving.port === null ? [] : [serving.port]), ...(serving.behindPorts ?? [])]);
  listed.delete(live.port);
  return containers.filter((c) => c.running && isWeb(c) && c.port !== null && c.port !== undefined && listed.has(c.port)).map((c) => c.port!);
}

const INTERRUPTED = 'Interrupted: the deckhand process running this deploy stopped before it finished.';
const INTERRUPTED_WATCHING = 'Interrupted in its watch window: the deckhand process watching it stopped before the window passed, and recovery kept the earlier deploy.';

/**
 * Makes the record agree with what runs, never the other way round by removing what serves (DESIGN: Docker is the
 * truth for what runs). Used at boot, by the bot's watchdog, and before every deploy of an app whose last deploy was
 * left half-done (a killed CLI or bot, a database that went away after the switch). A deploy left `watching` (its
 * process died during the watch window) is kept when it serves and is healthy, as after a crash right after the
 * switch; otherwise the previous deploy takes traffic back and it is closed as `reverted`. A deploy whose process is
 * alive is never touched: that process holds the app's lease, and recovery runs only under it.
 */
export class Recovery {
  constructor(private readonly deps: RecoveryDeps) {}

  /** A cheap look without the app's lease: why the app needs recovery, or null when record and reality agree. */
  async needed(app: AppSpec): Promise<string | null> {
    const { store, runtime, traffic } = this.deps;
    const inFlight = await store.inFlight(app.name);
    if (inFlight.length > 0) return `deploy #${inFlight[0]!.id} was left ${inFlight[0]!.status}`;
    const current = await store.current(app.name);
    if (!current?.containerId) return null;
    const containers = (await runtime.listContainers(app.name)).filter((c) => c.deploymentId === current.id);
    const container = containers.find(isWeb);
    // Removed outside deckhand (`docker rm -f`): nothing can be restarted, but the app is down and that is said.
    if (!container) return `the container of #${current.id} is gone`;
    if (!container.running) return `the container of #${current.id} is not running`;
    const stopped = containers.find((c) => !isWeb(c) && !c.running && c.status !== 'restarting');
    if (stopped) return `${stopped.name}, a ${stopped.process} container of #${current.id}, is not running`;
    if (traffic.mode === 'proxy' && (traffic.upstreams || traffic.upstream)) {
      const ports = await listedPorts(traffic, app.name);
      if ((ports[0] ?? null) !== (container.port ?? current.upstreamPort)) return `the proxy does not send ${app.name}'s traffic to #${current.id}`;
      if (ports.length > 1) return `the proxy still lists port ${ports.slice(1).join(', ')} behind #${current.id}`;
    }
    return null;
  }

  /** Under the app's lease. Returns what it did, one sentence each. */
  async recover(app: AppSpec, actor: string): Promise<string[]> {
    const { store, runtime, traffic, clock } = this.deps;
    const notes: string[] = [];
    const inFlight = await store.inFlight(app.name);
    const current = await store.current(app.name);
    const containers = await runtime.listContainers(app.name);
    const serving = await whatServes(this.deps, app, containers);
    if (!serving.known && inFlight.length > 0) {
      // Without knowing what serves, closing a half-done deploy could mean removing the container users reach.
      return [`left #${inFlight.map((d) => d.id).join(', #')} as they are: ${serving.reason}`];
    }
    // What is only said (nothing left to serve) is reported by the caller, not audited on every watchdog pass.
    const said: string[] = [];
    const live = await this.findLive(app, containers, serving, current, inFlight, notes, said);
    // A deploy kept from its watch window is pointed at again even when it serves: the proxy may still list the
    // previous container behind it (see TrafficSwitch.point), which is about to be retired.
    // So is one whose window's end the proxy refused to take (it still lists an earlier version's port behind it).
    const keptFromWindow = live !== undefined && inFlight.some((d) => d.id === live.deploymentId);
    const behind = serving.known ? (serving.behindPorts ?? []) : [];
    if (live && traffic.mode === 'proxy' && (!serving.known || serving.port !== live.port || keptFromWindow || behind.length > 0)) {
      await traffic.point(app.name, app.run.port, live.port, hostsOf(live.container.endpoints));
      notes.push(serving.known && serving.port === live.port ? `listed ${live.container.name} alone in the proxy (${behind.length > 0 ? `it still listed port ${behind.join(', ')} behind it` : 'the previous version was behind it for the watch window'})` : `pointed the proxy back at ${live.container.name}`);
      // What the proxy sent to until now is removed or stopped below: the requests still open on it finish first.
      const away = awayPorts(serving, containers, live);
      if (away.length > 0) await drainWeb(this.deps, app, away, 'the version traffic moved away from', (message) => notes.push(message));
    }
    const keep = live?.container.id;
    const after = live ? ({ known: true, containerIds: new Set([live.container.id]), port: live.port, deploymentIds: new Set(live.deploymentId === null ? [] : [live.deploymentId]) } as const) : serving;
    for (const deployment of inFlight) {
      if (live && live.deploymentId === deployment.id) {
        await store.update(deployment.id, { status: 'succeeded', containerId: live.container.id, upstreamPort: live.port, errorCode: null, error: null, finishedAt: clock.now() });
        notes.push(`#${deployment.id} was serving and healthy: recorded as succeeded`);
        continue;
      }
      for (const container of containers.filter((c) => c.deploymentId === deployment.id || c.id === deployment.containerId)) {
        if (container.id !== keep && safeToTouch(after, container)) await runtime.remove(container.id);
      }
      if (deployment.status === 'watching' && live) {
        // It served, then its watcher died and what serves now is an earlier deploy: that is a revert, not a failure to start.
        await store.update(deployment.id, { status: 'reverted', errorCode: 'interrupted', error: INTERRUPTED_WATCHING, containerId: null, finishedAt: clock.now() });
        notes.push(`#${deployment.id} was interrupted in its watch window and #${live.deploymentId ?? '?'} serves: closed as reverted, its container removed`);
        continue;
      }
      await store.update(deployment.id, { status: 'failed', errorCode: 'interrupted', error: INTERRUPTED, containerId: null, finishedAt: clock.now() });
      notes.push(`#${deployment.id} was interrupted: closed as failed, what it had started removed`);
    }
    if (live) await this.startProcesses(containers, live, notes);
    if (live) await this.retireStrays(containers, live, inFlight, notes);
    if (notes.length > 0) {
      await this.deps.audit.record({ actor, action: 'deploy.recover', app: app.name, result: 'ok', details: { notes, serving: live?.deploymentId ?? null } });
    }
    return [...notes, ...said];
  }

  /**
   * The container that should serve: the one the proxy (or the port) serves now if it is healthy, else the current
   * deploy's container, started again when it is stopped. Health-checked before anything is closed.
   */
  private async findLive(app: AppSpec, containers: ContainerState[], serving: Awaited<ReturnType<typeof whatServes>>, current: Deployment | undefined, inFlight: Deployment[], notes: string[], said: string[]): Promise<Live | undefined> {
    const recorded = new Map<number, Deployment>([...inFlight, ...(current ? [current] : [])].map((d) => [d.id, d]));
    const candidates: ContainerState[] = [];
    if (serving.known) candidates.push(...containers.filter((c) => serving.containerIds.has(c.id) && c.deploymentId !== null && recorded.has(c.deploymentId)));
    const currentContainer = current && containers.find((c) => c.deploymentId === current.id && isWeb(c));
    if (currentContainer && !candidates.includes(currentContainer)) candidates.push(currentContainer);
    for (const container of candidates) {
      const deployment = recorded.get(container.deploymentId!);
      const port = container.port ?? deployment?.upstreamPort ?? (this.deps.traffic.mode === 'proxy' ? null : app.run.port);
      if (port === null) continue;
      if (!container.running) {
        await this.deps.runtime.restart(container.id);
        notes.push(`${container.name} (#${container.deploymentId}) was not running: started it again`);
      }
      if (await this.healthy(app, container.id, port)) return { container: { ...container, running: true }, deploymentId: container.deploymentId, port };
      notes.push(`${container.name} (#${container.deploymentId}) did not answer its health check`);
    }
    if (candidates.length === 0 && current) said.push(nothingLeft(app.name, current.id));
    return undefined;
  }

  private async healthy(app: AppSpec, containerId: string, port: number): Promise<boolean> {
    return (await answersAgain(this.deps, app, containerId, port)).ok;
  }

  /** The serving release's process containers run with it: any that is stopped is started again. */
  private async startProcesses(containers: ContainerState[], live: Live, notes: string[]): Promise<void> {
    for (const container of containers) {
      if (isWeb(container) || container.deploymentId !== live.deploymentId || container.running) continue;
      await this.deps.runtime.restart(container.id);
      notes.push(`${container.name} (${container.process} of #${container.deploymentId}) was not running: started it again`);
    }
  }

  /**
   * Containers of earlier releases still running after a crash before cleanup are stopped, as a finished deploy
   * leaves them: in proxy mode their web and processes, in recreate mode their processes (the web holds the port).
   */
  private async retireStrays(containers: ContainerState[], live: Live, inFlight: Deployment[], notes: string[]): Promise<void> {
    const proxy = this.deps.traffic.mode === 'proxy';
    const closed = new Set(inFlight.map((d) => d.id));
    for (const container of containers) {
      if (!container.running || container.id === live.container.id || (container.deploymentId !== null && closed.has(container.deploymentId))) continue;
      if (container.deploymentId === live.deploymentId || (!proxy && isWeb(container))) continue;
      await this.deps.runtime.stop(container.id);
      notes.push(`stopped ${container.name}, which no longer serves`);
    }
  }
}
