import { DeckhandError } from './errors.js';

/** Deploy ids are Postgres `serial`s: whole numbers from 1 to 2147483647. */
export const MAX_DEPLOY_ID = 2_147_483_647;

/**
 * A deploy id as a person types it: `41` or `#41`, decimal digits only. Anything else (`abc`, `-1`, `1e3`, `4.0`,
 * `0x10`, empty) is invalid_argument; a number no deploy can have (0, above 2147483647) is not_found. Checked
 * before anything reaches the database, so a bad id never becomes a failed query.
 */
export function parseDeployId(text: string): number {
  const digits = /^#?(\d+)$/.exec(text.trim())?.[1];
  if (digits === undefined) throw new DeckhandError('invalid_argument', `"${text}" is not a deploy id: ids are whole numbers such as 41 or #41.`, { id: text });
  const id = Number(digits);
  if (id < 1 || id > MAX_DEPLOY_ID) throw new DeckhandError('not_found', `No deploy #${digits.replace(/^0+(?=\d)/, '')}: deploy ids run from 1 to ${MAX_DEPLOY_ID}.`, { id: text });
  return id;
}
