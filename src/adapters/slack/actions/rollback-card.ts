import { randomUUID } from 'node:crypto';
import type { RespondFn } from '@slack/bolt';
import type { AppSpec } from '../../../domain/apps.js';
import type { Card } from '../../../domain/approvals/card.js';
import type { RollbackPlan } from '../../../domain/rollback/plan.js';
import { renderRollbackConfirmation } from '../blocks/rollback-confirmation.js';
import { keepCardPlan } from '../card-plans.js';
import type { SlackContext } from '../context.js';
import { authorize, ephemeral, errorText } from '../handler-kit.js';

export interface CardRequest {
  user: string;
  channel: string;
  reason: string | null;
  /** The command's or click's response_url: where the sweeper edits the card once it expires. */
  responseUrl: string | null;
  /** Show the card in place of the message clicked (the /deploys list), so its response_url edits the card. */
  replace?: boolean;
}

/** Records what the card shows (the plan's facts), to whom and until when, keeps the plan for Confirm; returns the card. */
export async function recordCard(ctx: SlackContext, plan: RollbackPlan, request: CardRequest): Promise<Card> {
  const now = ctx.clock.now();
  const card = await ctx.cards.create({
    nonce: randomUUID(),
    app: plan.app,
    targetId: plan.target.id,
    requestedBy: request.user,
    channel: request.channel,
    reason: request.reason,
    responseUrl: request.responseUrl,
    facts: plan.facts!,
    shownAt: now,
    expiresAt: new Date(now.getTime() + ctx.cardExpiryMs),
  });
  keepCardPlan(ctx, card.nonce, plan, card.expiresAt);
  return card;
}

/** The card as Block Kit, framed with who asked, why, until when, and (when re-planned) what changed. */
export function cardMessage(plan: RollbackPlan, card: Card, changed?: string[]) {
  return renderRollbackConfirmation(plan, card.nonce, { requestedBy: card.requestedBy, reason: card.reason, expiresAt: card.expiresAt, changed });
}

/** `/rollback` and the list's button: authorize, plan (changing nothing), record and show the card. */
export async function showRollbackCard(ctx: SlackContext, respond: RespondFn, app: AppSpec, targetId: number | undefined, request: CardRequest): Promise<void> {
  if (!(await authorize(ctx, respond, request.user, app, 'rollback'))) return;
  try {
    const plan = await ctx.services.rollbacks.plan(app.name, targetId);
    const card = await recordCard(ctx, plan, request);
    await respond({ response_type: 'ephemeral', replace_original: request.replace ?? false, ...cardMessage(plan, card) });
  } catch (error) {
    await respond(ephemeral(errorText(error)));
  }
}
