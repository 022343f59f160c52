import type { Clock } from '../clock.js';
import { DeckhandError } from '../errors.js';
import type { AppLock, AppLockStore, AuditStore, DeploymentStore, PinStore } from '../ports.js';

export interface AppControlsDeps {
  locks: AppLockStore;
  pins: PinStore;
  store: DeploymentStore;
  audit: AuditStore;
  clock: Clock;
}

/** Operator controls shared by the CLI, Slack and rollbacks: app locks and retention pins, each audited. */
export class AppControls {
  constructor(private readonly deps: AppControlsDeps) {}

  async lock(app: string, reason: string, actor: string, deploymentId: number | null = null): Promise<AppLock> {
    const lock: AppLock = { app, reason, lockedBy: actor, lockedAt: this.deps.clock.now(), deploymentId };
    await this.deps.locks.set(lock);
    await this.deps.audit.record({ actor, action: 'app.lock', app, deploymentId, result: 'ok', details: { reason } });
    return lock;
  }

  /** Returns the lock that was removed, or undefined when the app was not locked. */
  async unlock(app: string, actor: string): Promise<AppLock | undefined> {
    const removed = await this.deps.locks.clear(app);
    await this.deps.audit.record({ actor, action: 'app.unlock', app, result: removed ? 'ok' : 'refused', details: { was: removed?.reason ?? null } });
    return removed;
  }

  async pin(app: string, deploymentId: number, actor: string): Promise<void> {
    await this.requireDeploy(app, deploymentId);
    await this.deps.pins.pin({ app, deploymentId, pinnedBy: actor, pinnedAt: this.deps.clock.now() });
    await this.deps.audit.record({ actor, action: 'deploy.pin', app, deploymentId, result: 'ok' });
  }

  /** False when the deploy was not pinned. */
  async unpin(app: string, deploymentId: number, actor: string): Promise<boolean> {
    await this.requireDeploy(app, deploymentId);
    const removed = await this.deps.pins.unpin(app, deploymentId);
    await this.deps.audit.record({ actor, action: 'deploy.unpin', app, deploymentId, result: removed ? 'ok' : 'refused' });
    return removed;
  }

  private async requireDeploy(app: string, id: number): Promise<void> {
    const deployment = await this.deps.store.get(id);
    if (!deployment || deployment.app !== app) throw new DeckhandError('not_found', `There is no deploy #${id} of ${app}.`, { app, id });
  }
}
