import type { AppSpec } from './apps.js';

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

export interface RedactOptions {
  /** Values that are public by construction and must stay readable (the app's port number). */
  publicValues?: string[];
}

/**
 * Returns a function that hides every env value as a substring, whatever its length, and well-known credential
 * shapes. The rule: every non-empty value is a secret (a value of `1` or `on` is starred wherever it occurs:
 * deckhand prefers noisy logs to a leak), except `publicValues`. Values are matched in one pass, longest first,
 * so a value inside another is not half-replaced and a replacement is never scanned again. Used on every log
 * line, error and upload before it is stored or shown.
 */
export function makeRedactor(env: Record<string, string>, options: RedactOptions = {}): (text: string) => string {
  const publicValues = new Set((options.publicValues ?? []).filter((v) => v.length > 0));
  const secrets = Object.values(env).filter((v) => v.length > 0 && !publicValues.has(v));
  // Public values take part in the match so a short secret inside one (`1` in port `18080`) leaves it whole.
  const values = [...new Set([...secrets, ...publicValues])].sort((a, b) => b.length - a.length);
  const matcher = secrets.length ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : undefined;
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
export function appRedactor(app: Pick<AppSpec, 'run'>): (text: string) => string {
  return makeRedactor(app.run.env, { publicValues: [String(app.run.port)] });
}
