import type { RollbackPlan } from '../../domain/rollback/plan.js';

/** At most this many unconfirmed cards keep their plan in memory; older ones are planned again on Confirm. */
const MAX_KEPT = 500;

const kept = new WeakMap<object, Map<string, { plan: RollbackPlan; expiresAt: Date }>>();

/**
 * The plan a rollback card shows, kept in this process until Confirm, so a rollback is planned once: Confirm only
 * re-checks it (`rollbacks.recheck`). A card shown by another process, or before a restart, has none here and is
 * planned again, as before. Keyed per Slack context (the bot), then by the card's nonce.
 */
export function keepCardPlan(owner: object, nonce: string, plan: RollbackPlan, expiresAt: Date): void {
  let plans = kept.get(owner);
  if (!plans) kept.set(owner, (plans = new Map()));
  const now = Date.now();
  for (const [key, entry] of plans) if (entry.expiresAt.getTime() < now) plans.delete(key);
  while (plans.size >= MAX_KEPT) plans.delete(plans.keys().next().value!);
  plans.set(nonce, { plan, expiresAt });
}

/** The card's kept plan, removed as it is taken (one Confirm acts on it); undefined when this process has none. */
export function takeCardPlan(owner: object, nonce: string): RollbackPlan | undefined {
  const plans = kept.get(owner);
  const entry = plans?.get(nonce);
  plans?.delete(nonce);
  return entry?.plan;
}

/** The card's kept plan, left in place (see takeCardPlan); undefined when this process has none. */
export function peekCardPlan(owner: object, nonce: string): RollbackPlan | undefined {
  return kept.get(owner)?.get(nonce)?.plan;
}
