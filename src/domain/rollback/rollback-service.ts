import { type PlanFacts, describeChanges, fingerprint } from '../approvals/plan-facts.js';
import { type Deployment, previousSuccessful } from '../deployment.js';
import type { DeployService, DeployServiceDeps } from '../deploy/deploy-service.js';
import { type Artifact, runPipeline } from '../deploy/pipeline.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import { outcomeNotRecorded } from '../deploy/unrecorded.js';
import type { AppControls } from '../locks/app-controls.js';
import { type DeployPlan, planDeploy } from '../approvals/deploy-plan.js';
import { type PlannerDeps, type RollbackPlan, planRollback } from './plan.js';
import { recheckFacts } from './recheck.js';

export type RollbackServiceDeps = DeployServiceDeps & PlannerDeps;

export interface RollbackResult {
  plan: RollbackPlan;
  deployment: Deployment;
}

/**
 * A rollback is a forward deploy that points at an older artifact: a NEW deployment row (trigger `rollback`,
 * `rollbackOf` = target) through the same health-checked pipeline. The target row is never modified.
 */
export class RollbackService {
  constructor(
    private readonly deps: RollbackServiceDeps,
    private readonly deploys: DeployService,
    private readonly controls: AppControls,
  ) {}

  /** Changes nothing: what a rollback would do, with its warnings. */
  async plan(appName: string, targetId?: number): Promise<RollbackPlan> {
    const app = this.deploys.requireApp(appName);
    return planRollback(this.deps, app, targetId ?? (await this.previousTarget(appName)));
  }

  /**
   * What a deploy of `target` would do now (commits, migrations, lock, deploys running), changing nothing: shown on
   * approval requests and computed again when Approve is clicked.
   */
  async planDeploy(appName: string, target: { gitRef: string | null; image: string | null }): Promise<DeployPlan> {
    return planDeploy(this.deps, this.deploys.requireApp(appName), target);
  }

  /** The facts of `plan` as they stand now, checked cheaply (database, one local image lookup): see recheckFacts. */
  recheck(plan: RollbackPlan): Promise<PlanFacts> {
    return recheckFacts(this.deps, plan);
  }

  /** The last successful deploy before the current one that runs a different image. */
  async previousTarget(appName: string): Promise<number> {
    const previous = previousSuccessful(await this.deps.store.all(appName), await this.deps.store.current(appName));
    if (!previous) throw new DeckhandError('not_found', `${appName} has no earlier successful deploy to roll back to.`, { app: appName });
    return previous.id;
  }

  /**
   * `onStarted` is called once the new deployment row exists (the rollback was not refused), before its events.
   * `expected`: the facts a person confirmed; when the facts under the app's lease differ, nothing runs
   * (`plan_changed`), so no deploy can slip in between a Confirm and the rollback.
   * `options.plan`: the plan the person read (one plan per rollback). Under the lease it is only re-checked against
   * the database (`recheckFacts`), never computed again: no git, registry or app database on the critical path.
   * Without it the plan is made here, under the lease.
   */
  async rollback(appName: string, targetId: number | undefined, actor: string, onStarted?: (deployment: Deployment) => void, expected?: PlanFacts, options: { release?: boolean; plan?: RollbackPlan } = {}): Promise<RollbackResult> {
    const app = this.deploys.requireApp(appName);
    const { store, audit, clock } = this.deps;
    const given = options.plan;
    if (given && (given.app !== appName || (targetId !== undefined && given.target.id !== targetId) || !given.facts)) {
      throw new DeckhandError('internal', `The plan given is for ${given.app} #${given.target.id}, not ${appName}${targetId === undefined ? '' : ` #${targetId}`}.`);
    }
    return this.deploys.withAppLease(app, { actor }, async () => {
      let plan: RollbackPlan;
      try {
        const shown = expected ?? given?.facts;
        plan = given ?? (await this.plan(appName, targetId));
        const now = given ? await recheckFacts(this.deps, given) : plan.facts;
        if (shown && now && fingerprint(now) !== fingerprint(shown)) {
          throw new DeckhandError('plan_changed', `The plan changed after it was confirmed: ${describeChanges(shown, now).join(' ')} Nothing was rolled back; run the rollback again to see the new plan.`);
        }
      } catch (thrown) {
        const error = asDeckhandError(thrown);
        await audit.record({ actor, action: 'deploy.rollback', app: appName, targetDeploymentId: targetId ?? given?.target.id ?? null, result: 'refused', details: { code: error.code, message: error.message } });
        throw error;
      }
      const { target } = plan;
      const deployment = await store.create({
        app: appName,
        status: 'building',
        source: app.source.kind,
        trigger: 'rollback',
        actor,
        gitRef: target.gitRef,
        commitSha: target.commitSha,
        commitSubject: target.commitSubject,
        imageRef: target.imageRef,
        rollbackOf: target.id,
        rollbackSource: plan.artifact.source,
        startedAt: clock.now(),
      });
      onStarted?.(deployment);
      // A reused image was just found on the host under this lease (by the plan, or by the re-check of a given one).
      const artifact: Artifact =
        plan.artifact.source === 'reuse_image'
          ? { kind: 'local-image', imageId: target.imageId!, imageRef: target.imageRef, checked: true }
          : plan.artifact.source === 'pull_image'
            ? { kind: 'image', ref: target.registryRef!, pull: 'always' }
            : { kind: 'build', commit: target.commitSha! };
      // The release phase (migrations) is skipped unless asked for: a rollback restores the image only.
      const run = this.deploys.aborts.watch(appName, deployment.id);
      let final: Deployment;
      try {
        final = await runPipeline(this.deps, app, deployment, artifact, { signal: run.signal, runRelease: options.release === true });
      } finally {
        run.stop();
      }
      const succeeded = final.status === 'succeeded';
      await audit.record({
        actor,
        action: 'deploy.rollback',
        app: appName,
        deploymentId: final.id,
        targetDeploymentId: target.id,
        result: succeeded ? 'ok' : 'failed',
        details: { from: target.id, to: final.id, replaced: plan.current?.id ?? null, image: final.imageRef, imageId: final.imageId, rollbackSource: plan.artifact.source, warnings: plan.warnings, status: final.status, error: final.error },
      }).catch((error: unknown) => {
        throw outcomeNotRecorded(final, 'write the rollback in the audit log', error);
      });
      if (succeeded) {
        // As Shipit does: keep automatic or stale deploys from bringing the bad commit straight back.
        await this.controls.lock(appName, `rolled back from #${plan.current?.id ?? '?'} by @${actor}`, actor, final.id).catch((error: unknown) => {
          throw outcomeNotRecorded(final, `lock ${appName} against forward deploys, as a rollback does (\`deckhand lock ${appName}\` once that works)`, error);
        });
      }
      return { plan, deployment: final };
    }, 'deploy.rollback');
  }
}
