/**
 * Text that came from a build or a container is data, not a hazard: whatever bytes a program printed, what deckhand
 * stores and shows is valid UTF-8 without control characters. Postgres refuses NUL in `text` ("invalid byte sequence
 * for encoding UTF8: 0x00") and `\u0000` or a lone surrogate in `jsonb`, and terminals and Slack misbehave on the rest.
 */

export const REPLACEMENT = '\ufffd';

/** Terminal escape sequences (colours, cursor moves, titles): noise once stored, so they are dropped. */
const ANSI_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
/** C0 controls except tab (NUL, bell, backspace, escape, newlines, ...) and DEL. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/g;
/** UTF-16 halves without their other half: what invalid UTF-8 or a cut multi-byte character becomes. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * One log line made safe: escape sequences dropped, a carriage-return progress line reduced to what a terminal
 * would show last, every other control character and every broken character replaced by U+FFFD. Tabs stay.
 */
export function cleanLogLine(text: string): string {
  let line = text.replace(ANSI_ESCAPE, '');
  if (line.includes('\r')) {
    const segments = line.split('\r').filter((segment) => segment.length > 0);
    line = segments.at(-1) ?? '';
  }
  return line.replace(LONE_SURROGATE, REPLACEMENT).replace(CONTROL, REPLACEMENT);
}

/** Several lines of text (an error message, a commit subject): each line cleaned, newlines kept as `\n`. */
export function cleanText(text: string): string {
  return text.split(/\r?\n/).map(cleanLogLine).join('\n');
}

/** Log lines: each cleaned, and a line holding several (embedded newlines) split into several. */
export function cleanLogLines(lines: readonly string[]): string[] {
  return lines.flatMap((line) => line.split(/\r?\n/).map(cleanLogLine));
}

/** Any JSON-shaped value with every string (keys included) cleaned; for `jsonb` columns. */
export function cleanJson<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (Array.isArray(value)) return value.map((item) => cleanJson(item)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [cleanText(key), cleanJson(item)])) as T;
  }
  return value;
}

/** The line that stands for what `headAndTail` left out. */
export const OMITTED = /^… \d+ lines? not shown …$/;

/**
 * At most `max` lines: the first `head` (how it started: the app's own start-up lines, before health probes fill its
 * access log), a line saying how many were left out, and the last ones (how it ended).
 */
export function headAndTail(lines: readonly string[], max: number, head = 10): string[] {
  if (lines.length <= max) return [...lines];
  const first = Math.min(head, Math.max(0, max - 2));
  const last = Math.max(0, max - first - 1);
  const omitted = lines.length - first - last;
  return [...lines.slice(0, first), `… ${omitted} line${omitted === 1 ? '' : 's'} not shown …`, ...lines.slice(lines.length - last)];
}
