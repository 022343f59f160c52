import { refreshApprovalMessage } from '../adapters/slack/actions/approval-decision.js';
import { replaceViaResponseUrl } from '../adapters/slack/actions/response-url.js';
import { renderClosedCard } from '../adapters/slack/blocks/rollback-confirmation.js';
import type { SlackContext } from '../adapters/slack/context.js';
import { asDeckhandError } from '../domain/errors.js';
import { every } from './every.js';

export interface CardSweeper {
  /** One pass: expires due approvals and rollback cards (at most `batch` of each) and edits their messages. */
  sweepNow(): Promise<{ approvals: number; cards: number }>;
  start(): void;
  stop(): void;
}

/** How often the sweeper looks, and how many of each it closes per pass. */
export const SWEEP_INTERVAL_MS = 60_000;
export const SWEEP_BATCH = 50;

/**
 * Expired cards and approvals are edited to say so without anyone clicking them. Safe on every replica: each
 * expired row is handed to one sweeper only (a conditional update in the database), so a message is edited once.
 * Bounded: a pass takes at most `batch` of each, never overlaps the previous pass, and every Slack call has a timeout.
 * Approval requests are channel messages (chat.update); rollback cards are ephemeral, replaced through the
 * response_url that showed them.
 */
export function createCardSweeper(ctx: SlackContext, intervalMs = SWEEP_INTERVAL_MS, batch = SWEEP_BATCH): CardSweeper {
  const warn = (what: string, error: unknown) => process.stderr.write(`deckhand: card sweeper: ${what}: ${asDeckhandError(error).message}\n`);

  const sweepNow = async () => {
    const approvals = await ctx.approvals.expireDue(batch);
    for (const approval of approvals) {
      try {
        // The database first: a Slack edit that fails (the channel archived, Slack down) leaves no deploy queued.
        if (approval.kind === 'deploy' && approval.deploymentId) await ctx.services.deploys.cancelQueued(approval.deploymentId, 'expired', 'deckhand');
        await refreshApprovalMessage(ctx, approval);
      } catch (error) {
        warn(`approval #${approval.id}`, error);
      }
    }
    const cards = await ctx.cards.expireDue(ctx.clock.now(), batch);
    for (const card of cards) {
      if (card.responseUrl && !(await replaceViaResponseUrl(card.responseUrl, renderClosedCard(card.app, card.targetId, 'expired', null, card.expiresAt)))) {
        warn(`card for ${card.app} #${card.targetId}`, new Error('Slack did not accept the edit (the response_url may have expired)'));
      }
    }
    return { approvals: approvals.length, cards: cards.length };
  };

  const loop = every(intervalMs, sweepNow, (error) => warn('pass failed', error));
  return { sweepNow, start: loop.start, stop: loop.stop };
}
