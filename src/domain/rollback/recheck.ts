import type { PlanFacts } from '../approvals/plan-facts.js';
import type { AppLockStore, DeploymentStore, Runtime } from '../ports.js';
import type { RollbackPlan } from './plan.js';

export interface RecheckDeps {
  store: DeploymentStore;
  locks: AppLockStore;
  runtime: Runtime;
}

/** What `facts.artifact` says when the plan's artifact can no longer be had the planned way. */
export const ARTIFACT_GONE = 'image_gone_from_host';

/**
 * The facts of a plan already made, checked again cheaply: the deploy serving, the target row, the lock and the
 * deploys running come from the database; a reused image is looked up on the host (one local Docker call). No git,
 * no registry, no app database: what the plan learnt from those (artifact path, migrations) is carried as planned.
 * Compare the result with `plan.facts` (`fingerprint`): any difference means the plan changed.
 */
export async function recheckFacts(deps: RecheckDeps, plan: RollbackPlan): Promise<PlanFacts> {
  const planned = plan.facts!;
  // The host is asked beside the database, not after it: this runs on Confirm's critical path, twice.
  const image = plan.artifact.source === 'reuse_image' ? deps.runtime.inspectImage(plan.target.imageId!) : undefined;
  image?.catch(() => undefined); // awaited below, after the database's answers
  const [target, current, lock, inFlight] = await Promise.all([deps.store.get(plan.target.id), deps.store.current(plan.app), deps.locks.get(plan.app), deps.store.inFlight(plan.app)]);
  const sameTarget = target && target.app === plan.app && target.status === 'succeeded' && target.imageId === plan.target.imageId;
  const imageGone = image !== undefined && !(await image);
  return {
    current: current?.id ?? null,
    target: sameTarget ? planned.target : null,
    artifact: imageGone ? ARTIFACT_GONE : planned.artifact,
    migrations: planned.migrations,
    lock: lock ? `${lock.lockedBy}: ${lock.reason}` : null,
    inProgress: inFlight.map((d) => d.id),
  };
}
