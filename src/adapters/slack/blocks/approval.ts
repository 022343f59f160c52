import type { Approval } from '../../../domain/approvals/approval.js';
import { reasonLine, renderChanges, stateNotes } from './change-context.js';
import { type Block, actions, button, context, esc, section, slackDate, who } from './common.js';
import { LIMITS, clipLines } from './limits.js';

export const APPROVE = 'approval_approve';
export const DENY = 'approval_deny';

const OUTCOME: Record<Exclude<Approval['status'], 'pending'>, string> = {
  approved: ':white_check_mark: Approved',
  denied: ':no_entry: Denied',
  expired: ':hourglass: Expired',
  superseded: ':fast_forward: Superseded: a newer deploy succeeded; this request can no longer be approved',
};

/**
 * The request with the context to decide (who asked and why, the commits, migrations, compare link, lock and
 * deploys running) and Approve / Deny buttons; once closed, who decided and when in place of the buttons.
 */
export function renderApproval(approval: Approval, what: string): { text: string; blocks: Block[] } {
  const ask = `${who(approval.requestedBy)} asks to ${what}.`;
  const plan = approval.plan ?? null;
  if (approval.status === 'pending') {
    const blocks: Block[] = [];
    if (plan?.changed?.length) {
      blocks.push(section(clipLines([':arrows_counterclockwise: *The plan changed since this request was shown; it was not approved.* Read it again:', ...plan.changed.map((c) => `• ${esc(c)}`)], LIMITS.sectionText)));
    }
    blocks.push(section(`:raised_hand: *Approval needed* · ${ask}`));
    blocks.push(context([reasonLine(approval.reason)]));
    if (plan?.changes) blocks.push(...renderChanges(plan.changes));
    blocks.push(...stateNotes(plan?.lock, plan?.inProgress));
    blocks.push(context([`Any approver but the requester may decide. Expires ${slackDate(approval.expiresAt)}.`]));
    blocks.push(actions([button('Approve', APPROVE, { id: approval.id, app: approval.app }, 'primary'), button('Deny', DENY, { id: approval.id, app: approval.app }, 'danger')], `approval-${approval.id}`));
    return { text: `${plan?.changed?.length ? 'The plan changed; read it again. ' : ''}Approval needed: ${what}`, blocks };
  }
  const by = approval.decidedBy ? ` by ${who(approval.decidedBy)} ${slackDate(approval.decidedAt)}` : approval.status === 'expired' ? ` ${slackDate(approval.expiresAt)}` : '';
  const why = approval.reason ? `\nReason: “${esc(approval.reason)}”` : '';
  return { text: `${OUTCOME[approval.status]}: ${what}`, blocks: [section(`${ask}${why}\n${OUTCOME[approval.status]}${by}`)] };
}
