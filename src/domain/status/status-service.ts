import type { AppCatalog, AppSpec } from '../apps.js';
import type { ApprovalStore, Approval } from '../approvals/approval.js';
import type { Clock } from '../clock.js';
import { type Serving, isWeb, whatServes } from '../deploy/serving.js';
import { type Deployment, isTerminal } from '../deployment.js';
import { asDeckhandError } from '../errors.js';
import type { AppLock, AppLockStore, ContainerState, DeploymentStore, HealthProbe, Runtime, TrafficSwitch } from '../ports.js';
import type { Placement } from '../placement/placement.js';
import { placementSummary } from '../placement/placement-text.js';
import type { AppPruneReport } from '../retention/prune-service.js';
import { type RuntimeStatus, probeHealth, runtimeStatus } from './runtime-status.js';

/** Health right now: `healthy`/`unhealthy` from a probe; `down` when no container serves; `unknown` when it cannot be told. */
export type HealthState = 'healthy' | 'unhealthy' | 'down' | 'unknown';

export interface HealthNow {
  state: HealthState;
  /** The probes made, in words: "public port 8080: HTTP 200". */
  probes: Array<{ where: 'public' | 'upstream'; url: string; ok: boolean; detail: string }>;
  /** The container of the serving deploy as Docker sees it. */
  container: Pick<ContainerState, 'name' | 'running' | 'status' | 'restartCount' | 'exitCode'> | null;
  /** Why the state is `unknown` or `down`, in a sentence. */
  note?: string;
}

/** A process of the serving release: how many replicas the app asks for and its containers as Docker sees them. */
export interface ProcessStatus {
  name: string;
  replicas: number;
  running: number;
  containers: Array<Pick<ContainerState, 'name' | 'running' | 'status' | 'restartCount'>>;
}

export interface AppStatus {
  app: string;
  checkedAt: Date;
  mode: TrafficSwitch['mode'];
  /** The deploy serving now, with when it started serving (its finish). */
  serving: Deployment | null;
  health: HealthNow;
  /** On a cluster runtime, the serving version's tasks node by node; null on one Docker host (its container is `health.container`). */
  placement?: Placement | null;
  /** Each process of the app (`processes.<name>`) in the serving release; empty for a web-only app. */
  processes: ProcessStatus[];
  lock: AppLock | null;
  /** Deploys not yet finished (queued for approval, building, starting, switching), newest first. */
  inProgress: Deployment[];
  pendingApprovals: Approval[];
  /** The newest failed deploy, when it is newer than what serves. */
  lastFailure: Deployment | null;
  /** How a rollback to each successful deploy would get its image; `windowError` when it could not be worked out. */
  window: AppPruneReport['window'];
  windowError?: string;
}

export interface StatusDeps {
  apps: AppCatalog;
  store: DeploymentStore;
  runtime: Runtime;
  traffic: TrafficSwitch;
  locks: AppLockStore;
  approvals: Pick<ApprovalStore, 'pending'>;
  /** A probe with a short timeout: status must answer quickly even when the app hangs. */
  probe: HealthProbe;
  /** The rollback window, as retention works it out. */
  window: (app: AppSpec) => Promise<AppPruneReport['window']>;
  clock: Clock;
  /** The proxy as `fromRuntime` asks it: read only (deckhand's own Caddy is not started by a look). Default: `traffic`. */
  viewTraffic?: TrafficSwitch;
}

/** How many recent deploys are read for the last failure and the in-progress ones. */
const RECENT = 50;

/** What on-call needs to know about an app at a glance; reads only, changes nothing. */
export class StatusService {
  constructor(private readonly deps: StatusDeps) {}

  /** One app in full. With `window: false` the rollback window is skipped (no git fetch): the one-line-per-app view. */
  async app(app: AppSpec, options: { window?: boolean } = {}): Promise<AppStatus> {
    const { store, locks, approvals, clock, traffic } = this.deps;
    const [serving, recent, lock, pending] = await Promise.all([store.current(app.name), store.list(app.name, RECENT), locks.get(app.name), approvals.pending(app.name)]);
    const lastFailure = recent.find((d) => d.status === 'failed' && (!serving || d.id > serving.id)) ?? null;
    const status: AppStatus = {
      app: app.name,
      checkedAt: clock.now(),
      mode: traffic.mode,
      serving: serving ?? null,
      ...(await this.healthAndProcesses(app, serving)),
      lock: lock ?? null,
      inProgress: recent.filter((d) => !isTerminal(d.status)),
      pendingApprovals: pending,
      lastFailure,
      window: [],
    };
    if (options.window !== false) {
      try {
        status.window = await this.deps.window(app);
      } catch (error) {
        status.windowError = asDeckhandError(error).message;
      }
    }
    return status;
  }

  /** What runs for `app`, from the runtime and the proxy alone: what can be said when the database cannot be read. */
  fromRuntime(app: AppSpec): Promise<RuntimeStatus> {
    const { runtime, traffic, viewTraffic, probe, clock } = this.deps;
    return runtimeStatus({ runtime, traffic: viewTraffic ?? traffic, probe, clock }, app);
  }

  /** Every configured app, without the rollback window (that needs a git fetch per app). */
  async all(): Promise<AppStatus[]> {
    // Side by side: an app whose health check hangs costs its probe timeout once, not once per app after it.
    return Promise.all(this.deps.apps.names().map((name) => this.app(this.deps.apps.get(name)!, { window: false })));
  }

  private async healthAndProcesses(app: AppSpec, serving: Deployment | undefined): Promise<{ health: HealthNow; processes: ProcessStatus[]; placement: Placement | null }> {
    const containers: ContainerState[] = [];
    const placed: { placement: Placement | null } = { placement: null };
    const health = await this.health(app, serving, containers, placed);
    const { placement } = placed;
    const processes = (app.processes ?? []).map((p): ProcessStatus => {
      const mine = containers.filter((c) => serving && c.deploymentId === serving.id && c.process === p.name).sort((a, b) => (a.replica ?? 0) - (b.replica ?? 0));
      return { name: p.name, replicas: p.replicas, running: mine.filter((c) => c.running).length, containers: mine.map((c) => ({ name: c.name, running: c.running, status: c.status, restartCount: c.restartCount })) };
    });
    const short = processes.filter((p) => p.running < p.replicas);
    if (serving && short.length > 0 && health.state === 'healthy') {
      const words = short.map((p) => `${p.name} has ${p.running} of ${p.replicas} running`).join('; ');
      return { health: { ...health, state: 'unhealthy', note: health.note ? `${health.note} ${words}.` : `${words.charAt(0).toUpperCase()}${words.slice(1)}.` }, processes, placement };
    }
    return { health, processes, placement };
  }

  /** `seen` receives the app's containers as Docker listed them; `placed` the serving version's tasks on a cluster. */
  private async health(app: AppSpec, serving: Deployment | undefined, seen: ContainerState[], placed: { placement: Placement | null }): Promise<HealthNow> {
    const { runtime } = this.deps;
    let container: HealthNow['container'] = null;
    let note: string | undefined;
    let servingState: Serving | undefined;
    try {
      const containers = await runtime.listContainers(app.name);
      seen.push(...containers);
      servingState = await whatServes(this.deps, app, containers);
      const mine = serving ? containers.find((c) => c.deploymentId === serving.id && isWeb(c)) : undefined;
      const state = mine ? ((await runtime.inspectContainer(mine.id)) ?? mine) : undefined;
      if (state) container = { name: state.name, running: state.running, status: state.status, restartCount: state.restartCount, exitCode: state.exitCode };
      if (mine && runtime.placement) placed.placement = (await runtime.placement(mine.id)) ?? null;
      // A node down or a task missing is said even when the public port answers (traffic goes to the others).
      const p = placed.placement;
      if (p && (p.serving < p.wanted || p.downNodes.length > 0)) note = `${placementSummary(p).replace(/^./, (c) => c.toUpperCase())}.`;
    } catch (error) {
      note = `Docker did not answer: ${asDeckhandError(error).message}`;
    }
    const upstream = servingState?.known ? servingState.port : (serving?.upstreamPort ?? null);
    const probes = await probeHealth(this.deps, app, upstream);
    if (servingState && !servingState.known) note ??= `${servingState.reason.charAt(0).toUpperCase()}${servingState.reason.slice(1)}.`;
    if (probes[0]!.ok) return { state: 'healthy', probes, container, note };
    if (!serving) return { state: 'down', probes, container, note: note ?? 'Nothing has been deployed yet.' };
    if (container && !container.running) return { state: 'down', probes, container, note: note ?? `The container of #${serving.id} is ${container.status ?? 'stopped'}.` };
    if (!container && !note) return { state: 'down', probes, container, note: `The container of #${serving.id} is gone (removed outside deckhand): \`deckhand rollback ${app.name} ${serving.id}\` starts its image again in a new container.` };
    return { state: 'unhealthy', probes, container, note };
  }
}
