import type { AllMiddlewareArgs, RespondFn } from '@slack/bolt';
import type { Card } from '../../../domain/approvals/card.js';
import { type PlanFacts, describeChanges, fingerprint } from '../../../domain/approvals/plan-facts.js';
import type { RollbackPlan } from '../../../domain/rollback/plan.js';
import { code, esc, slackDate, who } from '../blocks/common.js';
import { type ConfirmValue, renderClosedCard } from '../blocks/rollback-confirmation.js';
import type { SlackContext } from '../context.js';
import { peekCardPlan, takeCardPlan } from '../card-plans.js';
import { authorize, ephemeral, errorText } from '../handler-kit.js';
import { startRollback } from '../rollback-flow.js';
import { type ButtonArgs, openClick, readButton } from './action-value.js';
import { cardMessage, recordCard } from './rollback-card.js';

const fresh = (card: Pick<Card, 'app' | 'targetId'>) => `Run ${code(`/rollback ${card.app} ${card.targetId}`)} for a fresh plan.`;

/** Why a closed card does nothing, in a sentence that names the way out. */
function closedText(card: Card): string {
  switch (card.status) {
    case 'confirmed':
      return `Already confirmed by ${who(card.closedBy ?? 'someone')}; one rollback runs.`;
    case 'cancelled':
      return `:no_entry_sign: Nothing happened: this rollback card was cancelled by ${who(card.closedBy ?? 'someone')} ${slackDate(card.closedAt)}. ${fresh(card)}`;
    case 'expired':
      return `:hourglass: Nothing happened: this rollback card expired ${slackDate(card.expiresAt)}. ${fresh(card)}`;
    default:
      return `:arrows_counterclockwise: Nothing happened: this card was replaced by a newer plan; read and confirm that one. ${fresh(card)}`;
  }
}

async function answerClosed(ctx: SlackContext, respond: RespondFn, nonce: string): Promise<void> {
  const card = await ctx.cards.get(nonce);
  await respond(ephemeral(card ? closedText(card) : 'That card is no longer valid; nothing was rolled back.'));
}

/**
 * Confirm: access is checked again, the card must still be open and in time, and the card's plan is re-checked (or
 * computed again when this process did not show the card). A
 * plan that changed since the card was shown (what runs, the artifact path, migrations, a lock, a deploy in
 * progress) replaces the card and asks again; an unchanged one closes the card once (a double click, a retried
 * request or two people confirming start one rollback) and rolls back.
 */
export function rollbackConfirmAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const ahead = readAhead(ctx, args);
    const click = await openClick<ConfirmValue>(ctx, args, ['app', 'target', 'nonce']);
    if (!click || !ahead) return;
    const { app } = click;
    const { nonce, kept } = ahead;
    const [allowed, card, rechecked] = await Promise.all([authorize(ctx, args.respond, click.user, app, 'rollback', ahead.allowed), ahead.card, ahead.rechecked]);
    if (!allowed) return;
    if (!card || card.app !== app.name || card.targetId !== click.value.target) {
      await args.respond(ephemeral(`That card is not one deckhand knows; nothing was rolled back. ${fresh({ app: app.name, targetId: Number(click.value.target) })}`));
      return;
    }
    if (card.status !== 'open') return answerClosed(ctx, args.respond, nonce);
    const now = ctx.clock.now();
    if (now > card.expiresAt) {
      const expired = await ctx.cards.close(nonce, 'expired', null, now);
      if (!expired) return answerClosed(ctx, args.respond, nonce);
      await args.respond({ replace_original: true, ...renderClosedCard(card.app, card.targetId, 'expired', null, card.expiresAt) });
      return;
    }
    // One plan per rollback: the card's own plan (kept when this process showed it) is only re-checked here.
    const shown = takeCardPlan(ctx, nonce);
    let plan: RollbackPlan;
    let facts: PlanFacts;
    try {
      if (shown === kept && rechecked && 'error' in rechecked) throw rechecked.error;
      plan = shown ?? (await ctx.services.rollbacks.plan(app.name, card.targetId));
      facts = shown ? (shown === kept && rechecked && 'facts' in rechecked ? rechecked.facts : await ctx.services.rollbacks.recheck(shown)) : plan.facts!;
      // Something changed since the card: the new card needs a whole new plan.
      if (shown && fingerprint(facts) !== fingerprint(card.facts)) facts = (plan = await ctx.services.rollbacks.plan(app.name, card.targetId)).facts!;
    } catch (error) {
      // The target is no longer a valid rollback (it runs now, say): the card acts no more, and says why.
      if (!(await ctx.cards.close(nonce, 'replaced', click.user, now))) return answerClosed(ctx, args.respond, nonce);
      await args.respond({ replace_original: true, text: `${errorText(error)}\nNothing was rolled back.` });
      return;
    }
    if (fingerprint(facts) !== fingerprint(card.facts)) {
      const changes = describeChanges(card.facts, facts);
      if (!(await ctx.cards.close(nonce, 'replaced', click.user, now))) return answerClosed(ctx, args.respond, nonce);
      const next = await recordCard(ctx, plan, { user: card.requestedBy, channel: card.channel, reason: card.reason, responseUrl: click.responseUrl ?? card.responseUrl });
      await ctx.services.audit.record({ actor: click.user, action: 'rollback.replanned', app: app.name, targetDeploymentId: card.targetId, result: 'refused', details: { code: 'plan_changed', changes } });
      await args.respond({ replace_original: true, ...cardMessage(plan, next, changes) });
      return;
    }
    if (!(await ctx.cards.close(nonce, 'confirmed', click.user, now))) return answerClosed(ctx, args.respond, nonce);
    await startRollback(ctx, args.respond, click.user, click.channel, app, card.targetId, card.reason, card.facts, plan);
  };
}

/**
 * What Confirm reads before it decides: access, the card, and the re-check of the card's kept plan (one round trip
 * to the database, not three). Asked at once, while the click is acked and recorded in the replay ledger: each only
 * reads, and nothing acts on what they say before the ledger's verdict (a replay goes no further than its ack and
 * leaves them unread, act-once.ts). Undefined for a button that is not a valid Confirm (openClick answers it).
 */
function readAhead(ctx: SlackContext, args: ButtonArgs) {
  const click = readButton<ConfirmValue>(args, ['app', 'target', 'nonce']);
  const app = click && ctx.services.apps.get(click.value.app);
  if (!click || !app) return undefined;
  const nonce = String(click.value.nonce);
  const kept = peekCardPlan(ctx, nonce);
  // Each is awaited by the handler once acked; until then (or when a replay ends it) a failure is not unhandled.
  const unawaited = <T>(read: Promise<T>) => (read.catch(() => undefined), read);
  return {
    nonce,
    kept,
    allowed: unawaited(ctx.authorizer.can(click.user, app, 'rollback')),
    card: unawaited(ctx.cards.get(nonce)),
    rechecked: kept ? ctx.services.rollbacks.recheck(kept).then((facts) => ({ facts }), (error: unknown) => ({ error })) : undefined,
  };
}

/** Cancel consumes the card: a later Confirm on it does nothing and says so. */
export function rollbackCancelAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    await args.ack();
    const click = readButton<ConfirmValue>(args, ['nonce']);
    const card = click ? await ctx.cards.get(String(click.value.nonce)) : undefined;
    if (!click || !card) {
      await args.respond({ replace_original: true, text: 'Rollback cancelled; nothing changed.' });
      return;
    }
    const now = ctx.clock.now();
    const cancelled = await ctx.cards.close(card.nonce, 'cancelled', click.user, now);
    if (!cancelled) {
      const current = (await ctx.cards.get(card.nonce)) ?? card;
      await args.respond(ephemeral(current.status === 'confirmed' ? `Too late to cancel: ${who(current.closedBy ?? 'someone')} already confirmed it; the rollback of ${esc(card.app)} runs.` : closedText(current)));
      return;
    }
    await args.respond({ replace_original: true, ...renderClosedCard(card.app, card.targetId, 'cancelled', click.user, now) });
  };
}
