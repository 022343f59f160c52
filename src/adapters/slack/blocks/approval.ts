import type { Approval } from '../../../domain/approvals/approval.js';
import { type Block, actions, button, context, section, slackDate, who } from './common.js';

export const APPROVE = 'approval_approve';
export const DENY = 'approval_deny';

const OUTCOME: Record<Exclude<Approval['status'], 'pending'>, string> = {
  approved: ':white_check_mark: Approved',
  denied: ':no_entry: Denied',
  expired: ':hourglass: Expired',
  superseded: ':fast_forward: Superseded: a newer deploy succeeded; this request can no longer be approved',
};

/** The request with Approve / Deny buttons, or, once closed, who decided and when in their place. */
export function renderApproval(approval: Approval, what: string): { text: string; blocks: Block[] } {
  const ask = `${who(approval.requestedBy)} asks to ${what}.`;
  if (approval.status === 'pending') {
    return {
      text: `Approval needed: ${what}`,
      blocks: [
        section(`:raised_hand: *Approval needed* · ${ask}`),
        context([`Any approver but the requester may decide. Expires ${slackDate(approval.expiresAt)}.`]),
        actions([button('Approve', APPROVE, { id: approval.id, app: approval.app }, 'primary'), button('Deny', DENY, { id: approval.id, app: approval.app }, 'danger')], `approval-${approval.id}`),
      ],
    };
  }
  const by = approval.decidedBy ? ` by ${who(approval.decidedBy)} ${slackDate(approval.decidedAt)}` : approval.status === 'expired' ? ` ${slackDate(approval.expiresAt)}` : '';
  return { text: `${OUTCOME[approval.status]}: ${what}`, blocks: [section(`${ask}\n${OUTCOME[approval.status]}${by}`)] };
}
