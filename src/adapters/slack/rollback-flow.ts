import type { RespondFn } from '@slack/bolt';
import type { AppSpec } from '../../domain/apps.js';
import { needsApproval } from '../../domain/approvals/approval-service.js';
import type { PlanFacts } from '../../domain/approvals/plan-facts.js';
import type { RollbackPlan } from '../../domain/rollback/plan.js';
import { requestApproval } from './actions/approval-request.js';
import { esc } from './blocks/text.js';
import { type SlackContext, inBackground } from './context.js';
import { channelProblem, isChannelProblem } from './channel-problem.js';
import { runWithProgress } from './handler-kit.js';

/** After Confirm: ask for approval where policy says so, else roll back with a progress thread. */
export async function startRollback(ctx: SlackContext, respond: RespondFn, user: string, channel: string, app: AppSpec, targetId: number, reason: string | null = null, confirmed?: PlanFacts, plan?: RollbackPlan): Promise<void> {
  if (needsApproval(app, channel)) {
    try {
      await requestApproval(ctx, app, { kind: 'rollback', targetId, requestedBy: user, channel, reason });
    } catch (error) {
      if (!isChannelProblem(error)) throw error;
      await respond({ replace_original: true, text: `${channelProblem(error, channel)} Approvers cannot see request #${(error as { approvalId?: number }).approvalId}; it expires by itself. Confirm again once I can post.` });
      return;
    }
    await respond({ replace_original: true, text: `Approval requested to roll ${esc(app.name)} back to #${targetId}.` });
    return;
  }
  // The rollback starts first: answering the click is a Slack call too, and work never waits for Slack.
  inBackground(ctx, () => runRollback(ctx, channel, app, targetId, user, respond, confirmed, plan));
  await respond({ replace_original: true, text: `:leftwards_arrow_with_hook: <@${user}> confirmed the rollback of ${esc(app.name)} to #${targetId}; progress in the channel thread.` });
}

/**
 * Rolls back at once, streaming into a thread; `respond` hears refusals, and everything when the channel refuses.
 * `plan`: the confirmed plan, carried so the rollback only re-checks it.
 */
export function runRollback(ctx: SlackContext, channel: string, app: AppSpec, targetId: number, actor: string, respond?: RespondFn, confirmed?: PlanFacts, plan?: RollbackPlan) {
  return runWithProgress(ctx, { channel, app: app.name, kind: 'rollback', rollbackTarget: targetId, respond, title: `Rolling ${esc(app.name)} back to #${targetId} (by <@${actor}>)` }, async (track) =>
    (await ctx.services.rollbacks.rollback(app.name, targetId, actor, (d) => track(d.id), confirmed, { plan })).deployment,
  );
}
