import type { RespondFn } from '@slack/bolt';
import type { AppSpec } from '../../domain/apps.js';
import { needsApproval } from '../../domain/approvals/approval-service.js';
import { requestApproval } from './actions/approval-request.js';
import { esc } from './blocks/text.js';
import { type SlackContext, inBackground } from './context.js';
import { runWithProgress } from './handler-kit.js';

/** After Confirm: ask for approval where policy says so, else roll back with a progress thread. */
export async function startRollback(ctx: SlackContext, respond: RespondFn, user: string, channel: string, app: AppSpec, targetId: number, reason: string | null = null): Promise<void> {
  if (needsApproval(app, channel)) {
    await requestApproval(ctx, app, { kind: 'rollback', targetId, requestedBy: user, channel, reason });
    await respond({ replace_original: true, text: `Approval requested to roll ${esc(app.name)} back to #${targetId}.` });
    return;
  }
  await respond({ replace_original: true, text: `:leftwards_arrow_with_hook: <@${user}> confirmed the rollback of ${esc(app.name)} to #${targetId}; progress in the channel thread.` });
  inBackground(ctx, () => runRollback(ctx, channel, app, targetId, user));
}

export function runRollback(ctx: SlackContext, channel: string, app: AppSpec, targetId: number, actor: string) {
  return runWithProgress(ctx, { channel, app: app.name, kind: 'rollback', rollbackTarget: targetId, title: `Rolling ${esc(app.name)} back to #${targetId} (by <@${actor}>)` }, async () =>
    (await ctx.services.rollbacks.rollback(app.name, targetId, actor)).deployment,
  );
}
