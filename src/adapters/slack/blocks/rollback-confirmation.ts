import { formatDuration } from '../../../domain/duration.js';
import { shortSha } from '../../../domain/refs/git-ref.js';
import type { RollbackPlan } from '../../../domain/rollback/plan.js';
import { type Block, actions, button, code, context, esc, header, section, slackDate, who } from './common.js';
import { LIMITS, clipLines } from './limits.js';
import { askedBy, renderChanges, stateNotes } from './change-context.js';

export const ROLLBACK_CONFIRM = 'rollback_confirm';
export const ROLLBACK_CANCEL = 'rollback_cancel';

const PATH_TEXT: Record<RollbackPlan['artifact']['source'], string> = {
  reuse_image: ':zap: *Reuse the image still on this host*: seconds, byte-identical.',
  pull_image: ':inbox_tray: *Pull the image from the registry*: about as long as a download.',
  rebuild_from_source: ':hammer_and_wrench: *Rebuild from source*: as long as a build.',
};

export interface ConfirmValue {
  app: string;
  target: number;
  /** One per rendered confirmation: a double click or a second person confirming claims it only once. */
  nonce: string;
}

/** Who the card is for, until when, and why it is shown again. */
export interface CardFrame {
  requestedBy: string;
  reason: string | null;
  expiresAt: Date;
  /** Set when Confirm found the plan changed: what changed, shown above the new plan. */
  changed?: string[];
}

/** The plan a person reads before confirming a rollback. */
export function renderRollbackConfirmation(plan: RollbackPlan, nonce: string, frame?: CardFrame): { text: string; blocks: Block[] } {
  const { target, artifact } = plan;
  const blocks: Block[] = [];
  if (frame?.changed?.length) {
    blocks.push(section(clipLines([':arrows_counterclockwise: *The plan changed since this card was shown; nothing was rolled back.* Read it again:', ...frame.changed.map((c) => `• ${esc(c)}`)], LIMITS.sectionText)));
  }
  blocks.push(
    header(`Roll back ${plan.app} to #${target.id}?`),
    section(
      [
        `*Target:* #${target.id} ${target.commitSha ? `\`${shortSha(target.commitSha)}\` ${esc(target.commitSubject ?? '')}` : code(target.imageRef ?? '')}`,
        `deployed by ${who(target.actor)} ${slackDate(target.finishedAt)}${plan.current ? ` · replaces #${plan.current.id}` : ''}`,
      ].join('\n'),
    ),
    section(`${PATH_TEXT[artifact.source]}\n${esc(artifact.detail)}${artifact.estimateMs !== null ? ` Estimated *${formatDuration(artifact.estimateMs)}*.` : ''}`),
  );
  if (frame) blocks.push(context([askedBy(frame.requestedBy, frame.reason)]));
  if (plan.changes) blocks.push(...renderChanges(plan.changes, { migrations: false }));
  blocks.push(...stateNotes(plan.lock, plan.inProgress));
  const files = plan.schema.migrationFiles;
  const applied = plan.schema.appliedMigrations;
  if (files.length || applied.length) {
    const lines = [':warning: *Migrations have been applied since this deploy. Schema mismatch possible.*'];
    if (files.length) lines.push('Migration files changed since then:', ...files.map((f) => `• ${code(f)}`));
    if (applied.length) lines.push('Applied to the database since then:', ...applied.map((m) => `• ${esc(m)}`));
    blocks.push(section(clipLines(lines, LIMITS.sectionText)));
  }
  const other = plan.warnings.filter((w) => !w.startsWith('Migrations have been applied'));
  const env = plan.envChanges;
  if (env && env.added.length + env.removed.length + env.changed.length > 0) {
    other.push(`Env names that differ (values never shown): ${[...env.changed.map((n) => `${n} (changed)`), ...env.added.map((n) => `${n} (added)`), ...env.removed.map((n) => `${n} (removed)`)].join(', ')}`);
  }
  if (other.length) blocks.push(section(clipLines(other.map((w) => `:information_source: ${esc(w)}`), LIMITS.sectionText)));
  if (plan.release) blocks.push(context([`*Release phase skipped:* ${code(plan.release.join(' '))} does not run on a rollback from Slack. To run it, roll back with ${code(`deckhand rollback ${plan.app} ${target.id} --release`)} on the deckhand host.`]));
  blocks.push(context([`*Not restored:* ${plan.notRestored.join(', ')}. A rollback restores the code only and keeps today's env.`, ...(frame ? [`This card expires ${slackDate(frame.expiresAt)}.`] : [])]));
  const value: ConfirmValue = { app: plan.app, target: target.id, nonce };
  blocks.push(actions([button(`Confirm rollback to #${target.id}`, ROLLBACK_CONFIRM, value, 'danger'), button('Cancel', ROLLBACK_CANCEL, value)]));
  const again = frame?.changed?.length ? 'The plan changed; read it again. ' : '';
  return { text: `${again}Roll back ${esc(plan.app)} to #${target.id}?${files.length || applied.length ? ' Warning: migrations have been applied since this deploy.' : ''}`, blocks };
}

const CLOSED: Record<'expired' | 'cancelled' | 'replaced', string> = {
  expired: ':hourglass: This rollback card expired',
  cancelled: ':x: Rollback cancelled',
  replaced: ':arrows_counterclockwise: This card was replaced by a newer plan',
};

/** A card that can act no more, in place of its buttons: why, and the way to a fresh one. */
export function renderClosedCard(app: string, target: number, status: keyof typeof CLOSED, by: string | null, at: Date | null): { text: string; blocks: Block[] } {
  const line = `${CLOSED[status]}${by ? ` by ${who(by)}` : ''} ${slackDate(at)}; nothing was rolled back. Run ${code(`/rollback ${app} ${target}`)} for a fresh plan.`;
  return { text: `${CLOSED[status].replace(/^:[a-z_]+: /, '')}: roll back ${esc(app)} to #${target}; nothing was rolled back.`, blocks: [section(line)] };
}
