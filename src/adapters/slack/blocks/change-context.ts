import type { ChangeContext } from '../../../domain/approvals/change-context.js';
import type { CommitSummary } from '../../../domain/ports.js';
import { shortSha } from '../../../domain/refs/git-ref.js';
import { type Block, code, context, esc, section, who } from './common.js';
import { LIMITS, clipLines } from './limits.js';

const FORGE_NAME: Array<[RegExp, string]> = [
  [/^https:\/\/github\./, 'GitHub'],
  [/\/-\/compare\//, 'GitLab'],
];

const commitLine = (c: CommitSummary) => `\`${shortSha(c.sha)}\` ${esc(c.subject || '(no subject)')}${c.author ? ` — ${esc(c.author)}` : ''}`;

/** `Compare on GitHub` as a link; the URL is built from a validated remote and SHAs only, so it needs no escaping. */
export function compareLink(url: string): string {
  const forge = FORGE_NAME.find(([pattern]) => pattern.test(url))?.[1] ?? 'the forge';
  return `<${url}|Compare on ${forge}>`;
}

/**
 * The commit running now and the target, the commits between them (up to 10, then "…and N more"), the compare link
 * and the migrations: the same on deploy approvals, rollback cards and rollback approvals.
 */
export function renderChanges(changes: ChangeContext, options: { migrations?: boolean } = {}): Block[] {
  const blocks: Block[] = [];
  const lines: string[] = [];
  if (changes.current) lines.push(`*Running now:* ${commitLine(changes.current)}`);
  if (changes.target) lines.push(`*Target:* ${commitLine(changes.target)}`);
  if (changes.direction === 'same' && changes.current) lines.push('_The target is the commit running now._');
  const total = changes.commits.length + changes.more;
  if (total > 0) {
    const verb = changes.direction === 'back' ? 'undone by this rollback' : 'in this deploy';
    lines.push(`*${total} commit${total === 1 ? '' : 's'} ${verb}:*`, ...changes.commits.map((c) => `• ${commitLine(c)}`));
    if (changes.more > 0) lines.push(`…and ${changes.more} more`);
  }
  if (changes.compareUrl) lines.push(compareLink(changes.compareUrl));
  if (lines.length) blocks.push(section(clipLines(lines, LIMITS.sectionText)));
  if (options.migrations !== false && changes.migrations.length) {
    blocks.push(section(clipLines([`:warning: *Migrations ${changes.direction === 'back' ? 'applied since the target' : 'in this deploy'}:*`, ...changes.migrations.map((m) => `• ${code(m)}`)], LIMITS.sectionText)));
  }
  if (changes.notes.length) blocks.push(context(changes.notes.map((n) => `:information_source: ${esc(n)}`)));
  return blocks;
}

/** Who asked, and why when they said. */
export function askedBy(user: string, reason: string | null | undefined): string {
  return `Asked by ${who(user)}${reason ? `: “${esc(reason)}”` : ' (no reason given)'}`;
}

/** Why, as the requester wrote it (the request already says who). */
export function reasonLine(reason: string | null | undefined): string {
  return reason ? `*Why:* “${esc(reason)}”` : '_No reason given_ (add one after `--`, e.g. `/deploy web main -- fixes the login loop`).';
}

/** The lock and running deploys, when there are any, as one context line. */
export function stateNotes(lock: { lockedBy: string; reason: string } | null | undefined, inProgress: number[] | undefined): Block[] {
  const notes: string[] = [];
  if (lock) notes.push(`:lock: Locked by ${who(lock.lockedBy)}: ${esc(lock.reason)}`);
  if (inProgress?.length) notes.push(`:hourglass_flowing_sand: Deploy in progress: ${inProgress.map((id) => `#${id}`).join(', ')}`);
  return notes.length ? [context(notes)] : [];
}
