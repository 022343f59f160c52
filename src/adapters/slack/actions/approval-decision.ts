import type { AllMiddlewareArgs } from '@slack/bolt';
import type { Approval } from '../../../domain/approvals/approval.js';
import { asDeckhandError } from '../../../domain/errors.js';
import { renderApproval } from '../blocks/approval.js';
import { isDeletedMessage } from '../outbox.js';
import { esc } from '../blocks/text.js';
import { approvalPlan, describeApproval } from './approval-request.js';
import { type SlackContext, inBackground } from '../context.js';
import { ephemeral, errorText, runWithProgress } from '../handler-kit.js';
import { runRollback } from '../rollback-flow.js';
import { type ButtonArgs, openClick } from './action-value.js';

export { describeApproval };

/**
 * Re-renders the request message from the database: decided, expired or superseded requests lose their buttons. A
 * message someone deleted has nothing left to edit (and no button left to click): the database keeps the decision.
 */
export async function refreshApprovalMessage(ctx: SlackContext, approval: Approval): Promise<void> {
  if (!approval.messageTs) return;
  await ctx.gateway.update(approval.channel, approval.messageTs, renderApproval(approval, describeApproval(approval))).catch((error: unknown) => {
    if (!isDeletedMessage(error)) throw error;
  });
}

export function approvalDecisionAction(ctx: SlackContext, decision: 'approved' | 'denied') {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const click = await openClick<{ id: number; app: string }>(ctx, args, ['id', 'app']);
    if (!click) return;
    const { app } = click;
    let closed: Approval;
    try {
      // Approve computes the plan again: a changed plan is shown again (the message is edited) instead of run.
      closed = await ctx.approvals.decide(app, click.value.id, click.user, decision, (approval) => approvalPlan(ctx, app, approval));
    } catch (error) {
      const code = asDeckhandError(error).code;
      if (code === 'approval_expired' || code === 'superseded' || code === 'approval_closed' || code === 'plan_changed') {
        const current = await ctx.approvals.get(click.value.id);
        // The database first: a Slack edit that fails must not leave the expired request's deploy queued.
        if (current?.status === 'expired' && current.kind === 'deploy' && current.deploymentId) await ctx.services.deploys.cancelQueued(current.deploymentId, 'expired', 'deckhand');
        if (current) await refreshApprovalMessage(ctx, current);
      }
      await args.respond(ephemeral(errorText(error)));
      return;
    }
    await refreshApprovalMessage(ctx, closed);
    if (decision === 'denied') {
      if (closed.kind === 'deploy' && closed.deploymentId) await ctx.services.deploys.cancelQueued(closed.deploymentId, 'denied', click.user);
      return;
    }
    inBackground(ctx, () =>
      closed.kind === 'deploy'
        ? runWithProgress(ctx, { channel: closed.channel, app: app.name, kind: 'deploy', deploymentId: closed.deploymentId!, respond: args.respond, title: `Deploying #${closed.deploymentId} to ${esc(app.name)} (approved by <@${click.user}>)` }, () =>
            ctx.services.deploys.runQueued(closed.deploymentId!, closed.requestedBy),
          )
        : runRollback(ctx, closed.channel, app, closed.targetId!, closed.requestedBy, args.respond),
    );
  };
}
