import type { Deployment } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';

/**
 * The work is done but writing it down afterwards failed (the database went away, its disk is full): the person
 * hears what the deploy did first (what serves now), then what could not be written and why. The error keeps the
 * failure's code; `serving: true` keeps every surface from saying "nothing was changed".
 */
export function outcomeNotRecorded(final: Pick<Deployment, 'id' | 'app' | 'status' | 'error'>, what: string, error: unknown): DeckhandError {
  const e = asDeckhandError(error);
  const outcome = final.status === 'succeeded' ? `#${final.id} serves ${final.app}` : `#${final.id} ended ${final.status}${final.error ? ` (${final.error.split('\n')[0]})` : ''}`;
  return new DeckhandError(e.code, `${outcome}, but deckhand could not ${what}: ${e.message}`, { ...e.details, id: final.id, status: final.status, serving: true }, { cause: error });
}

/**
 * The new version serves, but its result could not be written (the database went away, its disk is full): said as
 * such, with what happens next. Recovery records it from what runs once the database can write again.
 */
export function servingNotRecorded(id: number, app: string, error: unknown): DeckhandError {
  const cause = asDeckhandError(error);
  const full = cause.code === 'disk_full' ? cause : undefined;
  const why = full ? full.message : 'the database is unavailable.';
  const message = `#${id} serves ${app}, but deckhand could not record it: ${why} It will be recorded from what runs when the database ${full ? 'can write again' : 'is back'}; nothing was removed.`;
  return new DeckhandError(full ? 'disk_full' : 'database_unavailable', message, { id, serving: true }, { cause: error });
}
