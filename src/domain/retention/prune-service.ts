import type { AppCatalog, AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import type { DeployService } from '../deploy/deploy-service.js';
import type { Deployment } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import type { LeaseManager } from '../locks/lease.js';
import type { AuditStore, ContainerState, DeploymentStore, PinStore, RegistryClient, Runtime, SourceRepo } from '../ports.js';
import type { NodeImageRemoval } from '../placement/placement.js';
import { type LayeredImage, diskBytes, freedBytes } from './layers.js';
import { DEFAULT_RETENTION, type ImageDecision, type RetentionPolicy, planRetention } from './policy.js';

/** How a rollback to a deploy would get its image, after this run. */
export type WindowPath = 'running' | 'instant' | 'pull' | 'rebuild' | 'impossible';

export interface AppPruneReport {
  app: string;
  policy: RetentionPolicy;
  decisions: ImageDecision[];
  /** What removing the images planned for pruning frees: their layers no remaining image uses. */
  bytesToFree: number;
  /** What the app's images take on disk, each shared layer counted once. */
  bytesOnDisk: number;
  /** What this run's removals freed, counted the same way (0 for a dry run). */
  bytesFreed: number;
  removedImages: number;
  removedContainers: number;
  registryDeleted: string[];
  /** On a cluster runtime: each pruned image on the other nodes (removed, or left where deckhand has no engine). */
  nodeImages?: Array<{ imageId: string } & NodeImageRemoval>;
  window: Array<{ deploymentId: number; path: WindowPath }>;
  failures: string[];
  /** Set when the app was not looked at (a deploy held its lock). */
  skipped?: string;
}

export interface PruneReport {
  dryRun: boolean;
  startedAt: Date;
  finishedAt: Date;
  apps: AppPruneReport[];
}

export interface PruneDeps {
  apps: AppCatalog;
  store: DeploymentStore;
  runtime: Runtime;
  source: SourceRepo;
  registry: RegistryClient;
  pins: PinStore;
  leases: LeaseManager;
  audit: AuditStore;
  clock: Clock;
}

export const PRUNE_LEASE = 'job:prune';

type CommitStatus = Map<string, { present: boolean; reachable: boolean }>;

const pruned = (decisions: ImageDecision[]) => decisions.filter((d) => d.action === 'prune').map((d) => d.imageId);

/**
 * Nightly retention: one run at a time across replicas (a database lease). Each app is scanned without its deploy
 * lock; only removal takes it, after planning again under it, so a prune never races a deploy and a scan never
 * holds one up. Dry-run plans the same and removes nothing (and never takes the lock).
 */
export class PruneService {
  constructor(
    private readonly deps: PruneDeps,
    private readonly deploys: DeployService,
  ) {}

  async run(options: { app?: string; dryRun: boolean; actor: string }): Promise<PruneReport> {
    const apps = options.app ? [this.deploys.requireApp(options.app)] : this.deps.apps.names().map((n) => this.deploys.requireApp(n));
    const lease = await this.deps.leases.tryAcquire(PRUNE_LEASE, options.actor);
    if (!lease) {
      const holder = await this.deps.leases.holder(PRUNE_LEASE);
      throw new DeckhandError('prune_in_progress', `A prune run is already in progress${holder ? ` (until ${holder.expiresAt.toISOString()} unless renewed)` : ''}; this one did nothing.`);
    }
    const startedAt = this.deps.clock.now();
    const reports: AppPruneReport[] = [];
    try {
      for (const app of apps) reports.push(await this.pruneApp(app, options));
    } finally {
      await lease.release();
    }
    const report: PruneReport = { dryRun: options.dryRun, startedAt, finishedAt: this.deps.clock.now(), apps: reports };
    await this.deps.audit.record({
      actor: options.actor,
      action: 'prune.run',
      app: options.app ?? null,
      result: reports.some((r) => r.failures.length || r.skipped) ? 'failed' : 'ok',
      details: {
        dryRun: options.dryRun,
        apps: reports.map((r) => ({
          app: r.app,
          skipped: r.skipped ?? null,
          bytesFreed: r.bytesFreed,
          plan: r.decisions.map((d) => ({ image: d.imageId, action: d.action, reasons: d.reasons, deployments: d.deploymentIds })),
          registryDeleted: r.registryDeleted,
          failures: r.failures,
        })),
      },
    });
    return report;
  }

  /** The plan and rollback window without removing anything and without the job lease (summaries). */
  preview(app: AppSpec): Promise<AppPruneReport> {
    return this.pruneApp(app, { dryRun: true, actor: 'deckhand' });
  }

  /**
   * How a rollback to each successful deploy would get its image right now (nothing planned, nothing removed):
   * the same rule the prune report's window uses. Fetches the app's repository once to know what a rebuild can use.
   */
  async rollbackWindow(app: AppSpec): Promise<AppPruneReport['window']> {
    const deployments = await this.deps.store.all(app.name);
    const commits = await this.commitStatus(app, deployments);
    return this.window(app, deployments, { decisions: [], registryDeleted: [] }, false, commits);
  }

  /**
   * The scan (deploys, git, images, layers, the plan) holds no lock: a deploy may start while it runs, and a dry run
   * never takes the lock at all. Only a run that has something to remove takes the app's deploy lease, plans again
   * under it from fresh facts (a deploy may have finished, a pin appeared) and removes what that plan prunes.
   */
  private async pruneApp(app: AppSpec, options: { dryRun: boolean; actor: string }): Promise<AppPruneReport> {
    const policy = app.retention ?? DEFAULT_RETENTION;
    const empty = (): AppPruneReport => ({ app: app.name, policy, decisions: [], bytesToFree: 0, bytesOnDisk: 0, bytesFreed: 0, removedImages: 0, removedContainers: 0, registryDeleted: [], window: [], failures: [] });
    let report = empty();
    try {
      let scan = await this.plan(app, policy);
      const bytes = await this.byteCounter(scan.decisions);
      report.decisions = scan.decisions;
      report.bytesToFree = bytes.freed(pruned(scan.decisions));
      report.bytesOnDisk = bytes.disk;
      if (!options.dryRun && pruned(scan.decisions).length > 0) {
        scan = await this.deploys.withAppLease(app, { actor: options.actor }, async () => {
          const fresh = await this.plan(app, policy, scan.commits);
          const known = new Set(scan.decisions.map((d) => d.imageId));
          const counter = fresh.decisions.every((d) => known.has(d.imageId)) ? bytes : await this.byteCounter(fresh.decisions);
          report.decisions = fresh.decisions;
          report.bytesToFree = counter.freed(pruned(fresh.decisions));
          report.bytesFreed = counter.freed(await this.execute(app, fresh.deployments, report));
          return fresh;
        }, 'prune.refused');
      }
      report.window = await this.window(app, scan.deployments, report, options.dryRun, scan.commits);
    } catch (error) {
      const e = asDeckhandError(error);
      if (e.code === 'deploy_in_progress') report = { ...empty(), skipped: 'a deploy was running; nothing was pruned for this app' };
      else report.failures.push(`${e.code}: ${e.message}`);
    }
    return report;
  }

  /** Reads the app's deploys, commits, images, current deploy and pins, and plans. Git is asked only about commits not in `known`. */
  private async plan(app: AppSpec, policy: RetentionPolicy, known?: CommitStatus): Promise<{ deployments: Deployment[]; commits: CommitStatus; decisions: ImageDecision[] }> {
    const deployments = await this.deps.store.all(app.name);
    const commits = await this.commitStatus(app, deployments, known);
    const decisions = planRetention(await this.gatherInput(app, policy, deployments, commits));
    return { deployments, commits, decisions };
  }

  /** One fetch and one git query per app: whether each successful deploy's commit is still in the mirror and still reachable. */
  private async commitStatus(app: AppSpec, deployments: Deployment[], known: CommitStatus = new Map()): Promise<CommitStatus> {
    const commits = deployments.filter((d) => d.status === 'succeeded' && d.source === 'git' && d.commitSha).map((d) => d.commitSha!);
    if (app.source.kind !== 'git' || commits.length === 0) return new Map();
    const unknown = commits.filter((sha) => !known.has(sha));
    if (unknown.length === 0) return known;
    return new Map([...known, ...(await this.deps.source.commitsStatus(app, unknown))]);
  }

  private async gatherInput(app: AppSpec, policy: RetentionPolicy, deployments: Deployment[], commits: CommitStatus) {
    const { runtime, pins, store, clock } = this.deps;
    const images = new Map((await runtime.listImages(app.name)).map((i) => [i.id, i]));
    // Images pulled for image apps carry no deckhand label: add every deployed image still on the host (one listing
    // says which are; only those are inspected, not every image a deploy ever had).
    const onHost = new Set(await runtime.listImageIds());
    for (const id of new Set(deployments.map((d) => d.imageId).filter((x): x is string => x !== null))) {
      if (!images.has(id) && onHost.has(id)) {
        const info = await runtime.inspectImage(id);
        if (info) images.set(id, info);
      }
    }
    const unfetchableCommits = [...commits].filter(([, s]) => !s.reachable).map(([sha]) => sha);
    return {
      policy,
      now: clock.now(),
      deployments,
      images: [...images.values()].map((i) => ({ imageId: i.id, sizeBytes: i.sizeBytes })),
      currentId: (await store.current(app.name))?.id ?? null,
      pinnedIds: (await pins.list(app.name)).map((p) => p.deploymentId),
      unfetchableCommits,
    };
  }

  /**
   * Counts bytes by layer, read before anything is removed: what removing some of the app's images frees is their
   * layers that no other image on the host (kept, another app's, anyone's) still uses. When Docker cannot list the
   * layers, falls back to the images' sizes (an upper bound).
   */
  private async byteCounter(decisions: ImageDecision[]): Promise<{ disk: number; freed: (ids: string[]) => number }> {
    const sizes = new Map(decisions.map((d) => [d.imageId, d.sizeBytes]));
    const sum = (ids: string[]) => ids.reduce((n, id) => n + (sizes.get(id) ?? 0), 0);
    let images: LayeredImage[];
    try {
      images = await this.hostLayers([...sizes.keys()]);
    } catch {
      return { disk: sum([...sizes.keys()]), freed: sum };
    }
    const own = images.filter((i) => sizes.has(i.imageId));
    return {
      disk: diskBytes(own),
      freed: (ids) => {
        const removed = new Set(ids);
        return freedBytes(images.filter((i) => removed.has(i.imageId)), images.filter((i) => !removed.has(i.imageId)));
      },
    };
  }

  private async hostLayers(appImages: string[]): Promise<LayeredImage[]> {
    const ids = [...new Set([...appImages, ...(await this.deps.runtime.listImageIds())])];
    const images: LayeredImage[] = [];
    for (let i = 0; i < ids.length; i += 8) {
      const batch = await Promise.all(ids.slice(i, i + 8).map(async (imageId) => ({ imageId, layers: await this.deps.runtime.imageLayers(imageId) })));
      for (const image of batch) if (image.layers) images.push({ imageId: image.imageId, layers: image.layers });
    }
    return images;
  }

  /** Removes what the plan prunes; returns the ids of the images removed. Containers and deploys are looked up by id, not scanned per image. */
  private async execute(app: AppSpec, deployments: Deployment[], report: AppPruneReport): Promise<string[]> {
    const { runtime, registry } = this.deps;
    const removed: string[] = [];
    const containers = new Map<number, ContainerState[]>();
    for (const c of await runtime.listContainers(app.name)) if (c.deploymentId !== null) containers.set(c.deploymentId, [...(containers.get(c.deploymentId) ?? []), c]);
    const byId = new Map(deployments.map((d) => [d.id, d]));
    for (const decision of report.decisions.filter((d) => d.action === 'prune')) {
      try {
        for (const container of decision.deploymentIds.flatMap((id) => containers.get(id) ?? [])) {
          if (container.running) throw new DeckhandError('internal', `container ${container.name} still runs this image; left alone`);
          await runtime.remove(container.id);
          report.removedContainers += 1;
        }
        if (await runtime.removeImage(decision.imageId)) {
          report.removedImages += 1;
          removed.push(decision.imageId);
        }
        if (app.registry) {
          for (const d of decision.deploymentIds.map((id) => byId.get(id)).filter((x): x is Deployment => x?.registryRef != null)) {
            if (await registry.delete(d.registryRef!)) report.registryDeleted.push(d.registryRef!);
          }
        }
        // Last, after the tag: with the manager's copy gone a later run would not plan this image again.
        const nodes = await runtime.removeNodeImages?.(decision.imageId, app.name);
        if (nodes) {
          (report.nodeImages ??= []).push({ imageId: decision.imageId, ...nodes });
          report.failures.push(...nodes.failures.map((f) => `${decision.imageId.slice(7, 19)} on ${f}`));
        }
      } catch (error) {
        report.failures.push(`${decision.imageId.slice(7, 19)}: ${asDeckhandError(error).message}`);
      }
    }
    return removed;
  }

  /** For each successful deploy: how a rollback to it would get its image after this run (planned, for a dry run). */
  private async window(app: AppSpec, deployments: Deployment[], report: Pick<AppPruneReport, 'decisions' | 'registryDeleted'>, dryRun: boolean, commits: CommitStatus): Promise<AppPruneReport['window']> {
    const { runtime, registry, store } = this.deps;
    const current = await store.current(app.name);
    const succeeded = deployments.filter((d) => d.status === 'succeeded' && d.imageId);
    // A dry run removed nothing: count what it would remove as gone, from the host and (by the same rule) the registry.
    const gone = new Set(dryRun ? pruned(report.decisions) : []);
    const deleted = new Set(report.registryDeleted);
    // One listing of the host's images answers for every deploy (not one inspect per deploy).
    const onHost = succeeded.length > 0 ? new Set(await runtime.listImageIds()) : new Set<string>();
    const window: AppPruneReport['window'] = [];
    for (const d of succeeded) {
      let path: WindowPath;
      if (d.id === current?.id) path = 'running';
      else if (!gone.has(d.imageId!) && onHost.has(d.imageId!)) path = 'instant';
      else if (app.registry && d.registryRef && !deleted.has(d.registryRef) && !gone.has(d.imageId!) && (await registry.has(d.registryRef).catch(() => false))) path = 'pull';
      else if (d.commitSha && commits.get(d.commitSha)?.present) path = 'rebuild';
      else path = 'impossible';
      window.push({ deploymentId: d.id, path });
    }
    return window;
  }
}
