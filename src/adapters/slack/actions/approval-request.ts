import type { AppSpec } from '../../../domain/apps.js';
import type { Approval, ApprovalPlan } from '../../../domain/approvals/approval.js';
import { DeckhandError, asDeckhandError } from '../../../domain/errors.js';
import { renderApproval } from '../blocks/approval.js';
import { code, esc } from '../blocks/text.js';
import type { SlackContext } from '../context.js';

export interface ApprovalInput {
  kind: Approval['kind'];
  deploymentId?: number;
  targetId?: number;
  requestedBy: string;
  channel: string;
  reason: string | null;
}

/** What the request shows and what Approve compares against: computed when asked, and again when approved. */
export async function approvalPlan(ctx: SlackContext, app: AppSpec, input: Pick<Approval, 'kind'> & { deploymentId?: number | null; targetId?: number | null }): Promise<ApprovalPlan> {
  const shownAt = ctx.clock.now().toISOString();
  if (input.kind === 'deploy') {
    const queued = input.deploymentId ? await ctx.services.store.get(input.deploymentId) : undefined;
    if (!queued) throw new DeckhandError('not_found', `There is no queued deploy #${input.deploymentId} of ${app.name}.`);
    const plan = await ctx.services.rollbacks.planDeploy(app.name, { gitRef: queued.gitRef, image: queued.source === 'image' ? queued.imageRef : null });
    return { label: plan.label, changes: plan.changes, lock: plan.lock, inProgress: plan.inProgress, facts: plan.facts, shownAt };
  }
  const plan = await ctx.services.rollbacks.plan(app.name, input.targetId ?? undefined);
  return { label: null, changes: plan.changes ?? null, lock: plan.lock ?? null, inProgress: plan.inProgress ?? [], facts: plan.facts!, shownAt };
}

/** "deploy `main` to *web* (#12)" / "roll *web* back to #9". */
export function describeApproval(approval: Approval): string {
  if (approval.kind === 'deploy') return `deploy ${approval.plan?.label ? `${code(approval.plan.label)} ` : ''}to *${esc(approval.app)}* (#${approval.deploymentId})`;
  return `roll *${esc(approval.app)}* back to #${approval.targetId}`;
}

/**
 * Asks for approval with the context to decide (commits, migrations, compare link, who and why), posts the request
 * to the channel and remembers where. A deploy whose plan cannot be made (an unknown ref) is not left queued.
 */
export async function requestApproval(ctx: SlackContext, app: AppSpec, input: ApprovalInput): Promise<Approval> {
  let plan: ApprovalPlan;
  try {
    plan = await approvalPlan(ctx, app, input);
  } catch (error) {
    if (input.kind === 'deploy' && input.deploymentId) {
      const e = asDeckhandError(error);
      await ctx.services.store.update(input.deploymentId, { status: 'failed', errorCode: e.code, error: e.message, finishedAt: ctx.clock.now() });
    }
    throw error;
  }
  const approval = await ctx.approvals.request(app, { ...input, plan });
  let ts: string;
  try {
    ts = await ctx.gateway.post(input.channel, renderApproval(approval, describeApproval(approval)));
  } catch (error) {
    // The request exists but nobody can see it: the caller tells the requester, naming it.
    throw Object.assign(error as object, { approvalId: approval.id });
  }
  await ctx.approvals.setMessage(approval.id, input.channel, ts);
  return { ...approval, channel: input.channel, messageTs: ts };
}
