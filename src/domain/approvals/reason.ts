/** Longest reason kept; the rest is cut with "…". */
export const REASON_MAX = 300;

/**
 * Splits a command's text at the first ` -- ` (or a leading `-- `): the arguments before, the reason after.
 * `/deploy web main -- hotfix for the login loop` → args `web main`, reason `hotfix for the login loop`.
 * Whitespace in the reason is collapsed; an empty reason is none.
 */
export function splitReason(text: string | undefined): { args: string; reason: string | null } {
  const source = text ?? '';
  const match = /(^|\s)--(\s|$)/.exec(source);
  if (!match) return { args: source, reason: null };
  const reason = source.slice(match.index + match[0].length).replace(/\s+/g, ' ').trim();
  return { args: source.slice(0, match.index), reason: reason ? (reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 1)}…` : reason) : null };
}
