import type { AppSpec } from './apps.js';
import { secretValuesOf } from './secret-env.js';

/** Well-known credential shapes, replaced wherever they appear. */
const PATTERNS: RegExp[] = [
  /\bxox[abposre]-[A-Za-z0-9-]{8,}/g, // Slack tokens
  /\bxapp-[A-Za-z0-9-]{8,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bsk_(?:live|test)_[A-Za-z0-9]{10,}/g, // Stripe-style secret keys
  /(?<=:\/\/[^/\s:@]+:)[^@\s/]+(?=@)/g, // the password in scheme://user:password@host
];

export const REDACTED = '***';

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Values shorter than this are matched where they stand alone (no letter or digit touching either end); longer
 * ones wherever they occur, inside words included.
 */
export const SUBSTRING_MIN_LENGTH = 4;

const ALONE_BEFORE = '(?<![\\p{L}\\p{N}])';
const ALONE_AFTER = '(?![\\p{L}\\p{N}])';

export interface RedactOptions {
  /** Values that are public by construction and must stay readable (the app's port number). */
  publicValues?: string[];
}

/**
 * Returns a function that hides every env value, whatever its length, and well-known credential shapes. The rule:
 * - a value of 4 characters or more is replaced wherever it occurs, as a substring (inside words, URLs, JSON);
 * - a value of 1 to 3 characters (`1`, `on`, a 2-letter PIN) is replaced wherever it occurs as itself, i.e. not
 *   touching a letter or digit: `PIN=on`, `key=Qz&`, `"on"`, `user:ab@host` are starred, the `on` inside
 *   `connection` or the `1` inside `18080` are not. Such an embedded match says nothing about the secret (any
 *   short string occurs by chance everywhere), while starring it would garble every line (`within` -> `wit***n`);
 * - `publicValues` are never replaced, and take part in the match so that a short value inside one stays put.
 * Values are matched in one pass, longest first: a value inside another is not half-replaced and a replacement is
 * never scanned again. Used on every log line, error and upload before it is stored or shown.
 */
export function makeRedactor(env: Record<string, string>, options: RedactOptions = {}): (text: string) => string {
  const publicValues = new Set((options.publicValues ?? []).filter((v) => v.length > 0));
  const secrets = new Set(Object.values(env).filter((v) => v.length > 0 && !publicValues.has(v)));
  const values = [...secrets, ...publicValues].sort((a, b) => b.length - a.length);
  const pattern = (v: string) => (secrets.has(v) && v.length < SUBSTRING_MIN_LENGTH ? `${ALONE_BEFORE}${escapeRegExp(v)}${ALONE_AFTER}` : escapeRegExp(v));
  const matcher = secrets.size ? new RegExp(values.map(pattern).join('|'), 'gu') : undefined;
  return (text) => {
    let out = matcher ? text.replace(matcher, (match) => (publicValues.has(match) ? match : REDACTED)) : text;
    for (const pattern of PATTERNS) out = out.replace(pattern, REDACTED);
    return out;
  };
}

/**
 * The redactor of one app: all of `run.env` is secret except the app's port number, which deckhand publishes
 * itself (deckhand.yml `run.port`, the `PORT` it sets, every "Traffic on port N" message), so hiding it hides
 * nothing and would only garble deckhand's own messages.
 */
export function appRedactor(app: Pick<AppSpec, 'run' | 'processes'> & { name?: string }): (text: string) => string {
  const literal = [...Object.values(app.run.env), ...(app.processes ?? []).flatMap((p) => Object.values(p.env))];
  // Values read from `fromEnv`/`fromFile` sources in this process, by this deploy or an earlier one.
  const read = app.name ? secretValuesOf(app.name) : [];
  const values = Object.fromEntries([...literal, ...read].map((value, i) => [String(i), value]));
  return makeRedactor(values, { publicValues: [String(app.run.port)] });
}
