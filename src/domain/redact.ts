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

/**
 * Returns a function that hides the app's env values (those long enough to be secrets rather than words) and
 * well-known credential shapes. Used on every log line, error and upload before it is stored or shown.
 */
export function makeRedactor(env: Record<string, string>, minLength = 6): (text: string) => string {
  const values = [...new Set(Object.values(env).filter((v) => v.length >= minLength))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    for (const pattern of PATTERNS) out = out.replace(pattern, REDACTED);
    return out;
  };
}
