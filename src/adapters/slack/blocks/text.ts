/**
 * The one place user text is made safe for Slack. Everything a person typed or an app printed (lock reasons,
 * refs, actor names, error messages, commit subjects, log lines) goes through `esc` before it is put in mrkdwn
 * or a message's text fallback, so `<!everyone>`, `<@U123>` or `<https://evil|click>` show as text and notify
 * nobody. Plain-text objects (headers, buttons) are not parsed by Slack and need no escaping.
 */

/** Escapes the three characters Slack treats as control characters, as Slack requires (`&` first). */
export const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const ZWSP = '\u200B';

/** Inline code: escaped, and a backtick inside (which would end the span) shown as a look-alike. */
export const code = (text: string) => `\`${esc(text).replace(/`/g, 'ˋ')}\``;

/** One line made safe inside a ``` fence: escaped, and every run of backticks broken by a zero-width space. */
export const fenceLine = (line: string) => esc(line).replace(/`(?=`)/g, `\`${ZWSP}`);

/**
 * Wraps lines already passed through `fenceLine` in a code block. A backtick at either edge would join the
 * fence's own three, so it is kept apart with a zero-width space: the block can never be closed early.
 */
export function fenced(safeLines: string[]): string {
  let body = safeLines.join('\n') || ' ';
  if (body.startsWith('`')) body = `${ZWSP}${body}`;
  if (body.endsWith('`')) body = `${body}${ZWSP}`;
  return `\`\`\`${body}\`\`\``;
}
