import type { RespondFn } from '@slack/bolt';
import { asDeckhandError } from '../../domain/errors.js';
import { ephemeral } from './handler-kit.js';
import { unrecordedReason, verdictOf } from './replay-guard.js';
import { esc } from './blocks/text.js';

/** What a listener's ack throws when its request must go no further: the listener ends there, and quietly. */
export const HALTED: unique symbol = Symbol('deckhand: request halted');

export const UNRECORDED_TEXT = ':warning: deckhand cannot reach its database, nothing was changed. Try again in a moment.';

/** What the person hears when the ledger could not record their request: a full disk is said as such (retrying will not help). */
export function unrecordedText(context: Record<string, unknown>): string {
  const reason = unrecordedReason(context);
  return reason?.code === 'disk_full' ? `:warning: Nothing was changed: ${esc(reason.message)} (\`disk_full\`)` : UNRECORDED_TEXT;
}

/**
 * Called right after a listener's ack, before anything it does after it: resolves for a request the ledger recorded
 * as new; throws HALTED for a replay (nothing more happens) and for a request the ledger could not record (the
 * person is told so through the response URL: the ack has gone already). A request that `readsOnly` (a status) runs
 * even unrecorded: answering it twice changes nothing, and it is what on-call asks when the database is away.
 */
export async function actOnce(context: Record<string, unknown>, respond: RespondFn | undefined, readsOnly = false): Promise<void> {
  const verdict = await verdictOf(context);
  if (verdict === 'first' || (verdict === 'unrecorded' && readsOnly)) return;
  if (verdict === 'unrecorded') await tell(respond, unrecordedText(context));
  throw HALTED;
}

/**
 * A listener failed with `text` to say: said unless its request is a replay; for a request the ledger could not
 * record, the database's answer is said instead (whatever failed, nothing was acted on).
 */
export async function failureAnswer(context: Record<string, unknown>, respond: RespondFn | undefined, text: string): Promise<void> {
  const verdict = await verdictOf(context);
  if (verdict === 'replay') return;
  await tell(respond, verdict === 'unrecorded' ? unrecordedText(context) : text);
}

async function tell(respond: RespondFn | undefined, text: string): Promise<void> {
  try {
    await respond?.(ephemeral(text));
  } catch (error) {
    console.error(`deckhand: could not answer a Slack request: ${asDeckhandError(error).message}`);
  }
}
