import type { AppSpec } from '../apps.js';
import type { AppLockStore, DeploymentStore, SourceRepo } from '../ports.js';
import { type ChangeContext, changeContext } from './change-context.js';
import type { PlanFacts } from './plan-facts.js';

export interface DeployPlanDeps {
  store: DeploymentStore;
  source: SourceRepo;
  locks: AppLockStore;
}

/** What a deploy waiting for approval would do now: the commit it resolves to, its context, and the facts to compare. */
export interface DeployPlan {
  app: string;
  /** The ref or image as asked. */
  label: string;
  changes: ChangeContext | null;
  lock: { lockedBy: string; reason: string } | null;
  inProgress: number[];
  facts: PlanFacts;
}

/** Resolves the ref (fetching) and gathers the context; changes nothing. Throws what resolving throws. */
export async function planDeploy(deps: DeployPlanDeps, app: AppSpec, target: { gitRef: string | null; image: string | null }): Promise<DeployPlan> {
  const current = await deps.store.current(app.name);
  let targetId: string | null = target.image;
  let changes: ChangeContext | null = null;
  if (app.source.kind === 'git' && target.image === null) {
    const { sha } = await deps.source.resolve(app, target.gitRef ?? app.source.branch);
    targetId = sha;
    changes = await changeContext(deps.source, app, current?.commitSha ?? null, sha);
  }
  const lock = await deps.locks.get(app.name);
  const inProgress = (await deps.store.inFlight(app.name)).map((d) => d.id);
  return {
    app: app.name,
    label: target.image ?? target.gitRef ?? (app.source.kind === 'git' ? app.source.branch : app.source.image),
    changes,
    lock: lock ? { lockedBy: lock.lockedBy, reason: lock.reason } : null,
    inProgress,
    facts: { current: current?.id ?? null, target: targetId, artifact: null, migrations: changes?.migrations ?? [], lock: lock ? `${lock.lockedBy}: ${lock.reason}` : null, inProgress },
  };
}
