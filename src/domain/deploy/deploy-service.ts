import { type AppCatalog, type AppSpec, requireApp } from '../apps.js';
import type { Deployment, Trigger } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import { type HeldLease, type LeaseManager, appLeaseName } from '../locks/lease.js';
import { OWN_ACTOR } from '../own-actors.js';
import { busyMessage } from './busy.js';
import type { AppLockStore, AuditStore } from '../ports.js';
import { validateGitRef } from '../refs/git-ref.js';
import { validateImageRef, withTag } from '../refs/image-ref.js';
import type { Artifact, PipelineDeps } from './pipeline.js';
import { runAndAudit } from './run-and-audit.js';
import { Recovery } from './recovery.js';
import { AbortRegistry, requestAbort } from './abort.js';

export interface DeployRequest {
  app: string;
  /** Branch, tag or SHA for git apps (default: the configured branch); a tag for image apps. */
  ref?: string;
  /** A full image reference to run instead of building. */
  image?: string;
  actor: string;
  trigger: Trigger;
  /** Deploy even though the app is locked (`--force`). */
  force?: boolean;
  /** Called once the deployment row exists (the deploy was not refused), before any of its events. */
  onStarted?: (deployment: Deployment) => void;
}

interface Target {
  source: 'git' | 'image';
  gitRef: string | null;
  image: string | null;
}

export interface DeployServiceDeps extends PipelineDeps {
  apps: AppCatalog;
  leases: LeaseManager;
  audit: AuditStore;
  locks: AppLockStore;
  /** Running deploys, for abort; one per process (made here when absent). */
  aborts?: AbortRegistry;
}

export class DeployService {
  private readonly recovery: Recovery;
  /** Every deploy and rollback of this process registers here, so an abort can reach it. */
  readonly aborts: AbortRegistry;

  constructor(private readonly deps: DeployServiceDeps) {
    this.recovery = new Recovery(deps);
    this.aborts = deps.aborts ?? new AbortRegistry(deps.audit);
  }

  requireApp(name: string): AppSpec {
    return requireApp(this.deps.apps, name);
  }


  /** Validates a request without touching anything: unknown app, bad ref or bad image reference throw here. */
  target(request: Pick<DeployRequest, 'app' | 'ref' | 'image'>): { app: AppSpec; target: Target } {
    const app = this.requireApp(request.app);
    if (request.image !== undefined) {
      if (request.ref !== undefined) throw new DeckhandError('invalid_argument', 'Give either a ref or --image, not both.');
      return { app, target: { source: 'image', gitRef: null, image: validateImageRef(request.image) } };
    }
    if (app.source.kind === 'image') {
      const image = request.ref === undefined ? validateImageRef(app.source.image) : withTag(app.source.image, validateGitRef(request.ref));
      return { app, target: { source: 'image', gitRef: null, image } };
    }
    return { app, target: { source: 'git', gitRef: validateGitRef(request.ref ?? app.source.branch), image: null } };
  }

  /** Deploys now: refuses with `deploy_in_progress` when the app's lease is held, `out_of_date` for an older commit. */
  async deploy(request: DeployRequest): Promise<Deployment> {
    const { app, target } = this.target(request);
    return this.withAppLease(app, request, async () => {
      await this.refuseIfLocked(app.name, request);
      const resolved = await this.resolve(app, target, request);
      const deployment = await this.deps.store.create({
        app: app.name,
        status: 'building',
        source: target.source,
        trigger: request.trigger,
        actor: request.actor,
        gitRef: target.gitRef,
        commitSha: resolved.commit,
        commitSubject: resolved.subject,
        imageRef: target.image,
        startedAt: this.deps.clock.now(),
      });
      request.onStarted?.(deployment);
      return runAndAudit(this.deps, this.aborts, app, deployment, resolved.artifact, 'deploy');
    });
  }

  /**
   * Asks the app's running deploy or rollback to stop (`/deckhand abort`, the Abort button, `deckhand abort`): it
   * ends `cancelled`, the previous deploy serving. Works across processes (the running one polls the audit row).
   * `only`: stop that deploy and no other (`not_found` when it is not the one running).
   */
  async abort(appName: string, actor: string, only?: number): Promise<Deployment> {
    const app = this.requireApp(appName);
    return (await requestAbort({ store: this.deps.store, audit: this.deps.audit, aborts: this.aborts }, app.name, actor, only)).deployment;
  }

  /** Records a deploy to run later (e.g. after approval). Nothing is built yet. */
  async enqueue(request: DeployRequest): Promise<Deployment> {
    const { app, target } = this.target(request);
    const deployment = await this.deps.store.create({
      app: app.name,
      status: 'queued',
      source: target.source,
      trigger: request.trigger,
      actor: request.actor,
      gitRef: target.gitRef,
      imageRef: target.image,
    });
    await this.deps.audit.record({ actor: request.actor, action: 'deploy.queue', app: app.name, deploymentId: deployment.id, result: 'ok', details: { ref: target.gitRef, image: target.image } });
    return deployment;
  }

  /**
   * Runs a queued deploy. One that a newer successful deploy overtook ends `superseded` and never runs
   * (forward-only, as GitLab's "drop older active deployments").
   */
  async runQueued(id: number, actor: string): Promise<Deployment> {
    const queued = await this.deps.store.get(id);
    if (!queued) throw new DeckhandError('not_found', `There is no deploy #${id}.`, { id });
    if (queued.status !== 'queued') throw new DeckhandError('invalid_argument', `Deploy #${id} is ${queued.status}, not queued.`, { id });
    const app = this.requireApp(queued.app);
    const request: DeployRequest = { app: app.name, actor, trigger: queued.trigger };
    return this.withAppLease(app, request, async () => {
      const newer = await this.deps.store.newerSucceeded(app.name, id);
      if (newer) {
        const superseded = await this.deps.store.update(id, {
          status: 'superseded',
          errorCode: 'superseded',
          error: `Superseded by #${newer.id}, which succeeded after this deploy was queued.`,
          finishedAt: this.deps.clock.now(),
        });
        await this.deps.audit.record({ actor, action: 'deploy.superseded', app: app.name, deploymentId: id, result: 'refused', details: { supersededBy: newer.id } });
        return superseded;
      }
      await this.refuseIfLocked(app.name, request);
      const target: Target = { source: queued.source, gitRef: queued.gitRef, image: queued.imageRef };
      const resolved = await this.resolve(app, target, request);
      const deployment = await this.deps.store.update(id, {
        status: 'building',
        commitSha: resolved.commit,
        commitSubject: resolved.subject,
        startedAt: this.deps.clock.now(),
      });
      return runAndAudit(this.deps, this.aborts, app, deployment, resolved.artifact, 'deploy');
    });
  }

  /**
   * At start-up and from the bot's watchdog: for every app where record and reality disagree (a deploy left
   * half-done, the serving container stopped, the proxy pointing elsewhere) and whose lease is free, recover: the
   * container that really runs is health-checked, the proxy pointed at it, and the record made to match. An app
   * whose deploy is running is left to that deploy. Returns one line per thing done.
   */
  async reconcile(actor: string = OWN_ACTOR.boot): Promise<string[]> {
    const notes: string[] = [];
    for (const name of this.deps.apps.names()) {
      const app = this.requireApp(name);
      try {
        const reason = await this.recovery.needed(app);
        if (!reason) continue;
        const lease = await this.deps.leases.tryAcquire(appLeaseName(app.name), actor);
        if (!lease) continue;
        try {
          for (const note of await this.recovery.recover(app, actor)) notes.push(`${name}: ${note}`);
        } finally {
          await lease.release();
        }
      } catch (error) {
        notes.push(`${name}: could not reconcile: ${asDeckhandError(error).message}`);
      }
    }
    return notes;
  }

  /** A queued deploy that will never run (denied, expired): closed as failed with the reason. */
  async cancelQueued(id: number, reason: 'denied' | 'expired' | 'superseded', actor: string): Promise<void> {
    const queued = await this.deps.store.get(id);
    if (queued?.status !== 'queued') return;
    const error = { denied: `Approval denied by ${actor}.`, expired: 'The approval request expired.', superseded: 'A newer deploy succeeded while this one waited for approval.' }[reason];
    await this.deps.store.update(id, {
      status: reason === 'superseded' ? 'superseded' : 'failed',
      errorCode: reason === 'superseded' ? 'superseded' : 'cancelled',
      error,
      finishedAt: this.deps.clock.now(),
    });
    await this.deps.audit.record({ actor, action: 'deploy.cancel', app: queued.app, deploymentId: id, result: 'ok', details: { reason } });
  }

  /**
   * Runs `body` holding the app's lease. Before it, deploys left half-done by a holder that died are recovered from
   * what really runs (see Recovery): recorded as succeeded when their container serves, else closed as interrupted.
   */
  async withAppLease<T>(app: AppSpec, request: Pick<DeployRequest, 'actor'>, body: (lease: HeldLease) => Promise<T>, refusedAction = 'deploy.refused'): Promise<T> {
    const lease = await this.deps.leases.tryAcquire(appLeaseName(app.name), request.actor);
    if (!lease) {
      const running = await this.deps.store.inFlight(app.name);
      await this.deps.audit.record({ actor: request.actor, action: refusedAction, app: app.name, result: 'refused', details: { code: 'deploy_in_progress' } });
      throw new DeckhandError('deploy_in_progress', await busyMessage(this.deps.leases, app.name, running[0]), { app: app.name, running: running[0]?.id ?? null });
    }
    try {
      if ((await this.deps.store.inFlight(app.name)).length > 0) await this.recovery.recover(app, request.actor);
      return await body(lease);
    } finally {
      await lease.release();
    }
  }

  /** A locked app takes no forward deploy unless forced; rollbacks are not deploys and pass. */
  private async refuseIfLocked(app: string, request: Pick<DeployRequest, 'actor' | 'force'>): Promise<void> {
    const lock = await this.deps.locks.get(app);
    if (!lock) return;
    if (request.force) {
      await this.deps.audit.record({ actor: request.actor, action: 'deploy.force', app, result: 'ok', details: { lock: lock.reason, lockedBy: lock.lockedBy } });
      return;
    }
    await this.deps.audit.record({ actor: request.actor, action: 'deploy.refused', app, result: 'refused', details: { code: 'app_locked', lock: lock.reason } });
    throw new DeckhandError('app_locked', `${app} is locked by ${lock.lockedBy} since ${lock.lockedAt.toISOString()}: ${lock.reason}. Unlock it, or deploy with --force.`, {
      app,
      lockedBy: lock.lockedBy,
      reason: lock.reason,
    });
  }

  private async resolve(app: AppSpec, target: Target, request: DeployRequest): Promise<{ commit: string | null; subject: string | null; artifact: Artifact }> {
    if (target.source === 'image' || app.source.kind === 'image') {
      const pull = app.source.kind === 'image' ? app.source.pull : 'missing';
      return { commit: null, subject: null, artifact: { kind: 'image', ref: target.image!, pull } };
    }
    const refused = async (error: DeckhandError): Promise<never> => {
      await this.deps.audit.record({ actor: request.actor, action: 'deploy.refused', app: app.name, result: 'refused', details: { code: error.code, ref: target.gitRef, message: error.message } });
      throw error;
    };
    let resolved: { sha: string; subject: string };
    try {
      resolved = await this.deps.source.resolve(app, target.gitRef!);
    } catch (error) {
      return refused(asDeckhandError(error, 'source_unavailable'));
    }
    const current = await this.deps.store.current(app.name);
    if (current?.commitSha && current.commitSha !== resolved.sha) {
      if (await this.deps.source.isStrictAncestor(app, resolved.sha, current.commitSha)) {
        return refused(
          new DeckhandError(
            'out_of_date',
            `${target.gitRef} (${resolved.sha.slice(0, 7)}) is older than what runs now (#${current.id}, ${current.commitSha.slice(0, 7)}). Deploys only go forward; use rollback to go back.`,
            { current: current.id, commit: resolved.sha },
          ),
        );
      }
    }
    return { commit: resolved.sha, subject: resolved.subject, artifact: { kind: 'build', commit: resolved.sha } };
  }
}
