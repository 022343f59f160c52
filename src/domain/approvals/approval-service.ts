import type { AppSpec } from '../apps.js';
import type { Authorizer } from '../access/authorizer.js';
import type { Clock } from '../clock.js';
import { DeckhandError } from '../errors.js';
import type { AuditStore, DeploymentStore } from '../ports.js';
import type { Approval, ApprovalPlan, ApprovalStore } from './approval.js';
import { describeChanges, fingerprint } from './plan-facts.js';

export interface ApprovalDeps {
  approvals: ApprovalStore;
  authorizer: Authorizer;
  store: DeploymentStore;
  audit: AuditStore;
  clock: Clock;
}

/** Does this request need someone else's approval? Always, or only from the listed (incident) channels. */
export function needsApproval(app: AppSpec, channel: string): boolean {
  const policy = app.approval;
  if (!policy) return false;
  return policy.when === 'always' || policy.channels.includes(channel);
}

export class ApprovalService {
  constructor(private readonly deps: ApprovalDeps) {}

  async request(app: AppSpec, input: { kind: Approval['kind']; deploymentId?: number; targetId?: number; requestedBy: string; channel: string; reason?: string | null; plan?: ApprovalPlan | null }): Promise<Approval> {
    const policy = app.approval;
    if (!policy) throw new DeckhandError('internal', `${app.name} has no approval policy.`);
    const { clock, store, approvals, audit } = this.deps;
    const current = await store.current(app.name);
    const approval = await approvals.create({
      app: app.name,
      kind: input.kind,
      deploymentId: input.deploymentId ?? null,
      targetId: input.targetId ?? null,
      baselineId: current?.id ?? null,
      requestedBy: input.requestedBy,
      channel: input.channel,
      reason: input.reason ?? null,
      plan: input.plan ?? null,
      expiresAt: new Date(clock.now().getTime() + policy.expiryMs),
    });
    await audit.record({ actor: input.requestedBy, action: 'approval.request', app: app.name, deploymentId: input.deploymentId ?? null, targetDeploymentId: input.targetId ?? null, result: 'ok', details: { approval: approval.id, kind: input.kind, channel: input.channel, reason: input.reason ?? null } });
    return approval;
  }

  setMessage(id: number, channel: string, ts: string): Promise<void> {
    return this.deps.approvals.setMessage(id, channel, ts);
  }

  get(id: number): Promise<Approval | undefined> {
    return this.deps.approvals.get(id);
  }

  /**
   * Records a decision. Refuses (and audits) the requester approving their own request, someone who is not an
   * approver, an expired or stale request, and any decision after the first.
   */
  async decide(app: AppSpec, id: number, userId: string, decision: 'approved' | 'denied', replan?: (approval: Approval) => Promise<ApprovalPlan>): Promise<Approval> {
    const { approvals, clock, audit, authorizer } = this.deps;
    const now = clock.now();
    const refuse = async (error: DeckhandError): Promise<never> => {
      await audit.record({ actor: userId, action: `approval.${decision === 'approved' ? 'approve' : 'deny'}`, app: app.name, result: 'refused', details: { approval: id, code: error.code } });
      throw error;
    };
    const approval = await approvals.get(id);
    if (!approval || approval.app !== app.name) return refuse(new DeckhandError('not_found', `There is no approval request #${id} for ${app.name}.`));
    if (approval.status !== 'pending') return refuse(closedError(approval));
    if (now > approval.expiresAt) {
      await approvals.close(id, 'expired', null, now);
      return refuse(new DeckhandError('approval_expired', `This request expired at ${approval.expiresAt.toISOString()}; ask again.`, { approval: id }));
    }
    if (userId === approval.requestedBy) return refuse(new DeckhandError('self_approval', 'You cannot approve or deny your own request; another approver must.', { approval: id }));
    if (!(await authorizer.allowed(userId, app.approval?.approvers ?? []))) {
      return refuse(new DeckhandError('forbidden', `You are not an approver for ${app.name}.`, { approval: id }));
    }
    if (decision === 'approved' && (await this.isStale(approval))) {
      await approvals.close(id, 'superseded', null, now);
      return refuse(new DeckhandError('superseded', 'A newer deploy succeeded since this request; it can no longer be approved.', { approval: id }));
    }
    if (decision === 'approved' && replan && approval.plan) {
      // Decide on fresh facts: a plan that changed since the request was shown is shown again, not approved.
      const fresh = await replan(approval);
      if (fingerprint(fresh.facts) !== fingerprint(approval.plan.facts)) {
        const changes = describeChanges(approval.plan.facts, fresh.facts);
        await approvals.replacePlan(id, { ...fresh, changed: changes });
        return refuse(new DeckhandError('plan_changed', `The plan changed since this request was shown: ${changes.join(' ')} Read the updated request, then approve again.`, { approval: id, changes }));
      }
    }
    const closed = await approvals.close(id, decision, userId, now);
    if (!closed) return refuse(closedError((await approvals.get(id))!));
    await audit.record({ actor: userId, action: `approval.${decision === 'approved' ? 'approve' : 'deny'}`, app: app.name, result: 'ok', details: { approval: id, requestedBy: approval.requestedBy } });
    return closed;
  }

  /** Expires up to `limit` requests whose time ran out (whichever replica asks first gets each one); returns them. */
  async expireDue(limit: number): Promise<Approval[]> {
    const expired = await this.deps.approvals.expireDue(this.deps.clock.now(), limit);
    for (const approval of expired) {
      await this.deps.audit.record({ actor: 'deckhand', action: 'approval.expired', app: approval.app, result: 'ok', details: { approval: approval.id } });
    }
    return expired;
  }

  /** Marks the app's pending requests that a newer successful deploy made stale; returns them (to edit messages). */
  async supersedeStale(app: string): Promise<Approval[]> {
    const stale: Approval[] = [];
    for (const approval of await this.deps.approvals.pending(app)) {
      if (!(await this.isStale(approval))) continue;
      const closed = await this.deps.approvals.close(approval.id, 'superseded', null, this.deps.clock.now());
      if (closed) {
        stale.push(closed);
        await this.deps.audit.record({ actor: 'deckhand', action: 'approval.superseded', app, result: 'ok', details: { approval: approval.id } });
      }
    }
    return stale;
  }

  private async isStale(approval: Approval): Promise<boolean> {
    if (approval.kind === 'deploy' && approval.deploymentId !== null) {
      return (await this.deps.store.newerSucceeded(approval.app, approval.deploymentId)) !== undefined;
    }
    return ((await this.deps.store.current(approval.app))?.id ?? null) !== approval.baselineId;
  }
}

function closedError(approval: Approval): DeckhandError {
  if (approval.status === 'expired') return new DeckhandError('approval_expired', `This request expired at ${approval.expiresAt.toISOString()}; ask again.`, { approval: approval.id });
  if (approval.status === 'superseded') return new DeckhandError('superseded', 'A newer deploy succeeded since this request; it can no longer be approved.', { approval: approval.id });
  return new DeckhandError('approval_closed', `Already ${approval.status} by ${approval.decidedBy} at ${approval.decidedAt?.toISOString()}.`, { approval: approval.id, status: approval.status });
}
