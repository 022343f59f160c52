import { formatDuration } from '../../../domain/duration.js';
import { shortSha } from '../../../domain/refs/git-ref.js';
import type { RollbackPlan } from '../../../domain/rollback/plan.js';
import { type Block, actions, button, code, context, esc, header, section, slackDate, who } from './common.js';
import { LIMITS, clipLines } from './limits.js';

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

/** The plan a person reads before confirming a rollback. */
export function renderRollbackConfirmation(plan: RollbackPlan, nonce: string): { text: string; blocks: Block[] } {
  const { target, artifact } = plan;
  const blocks: Block[] = [
    header(`Roll back ${plan.app} to #${target.id}?`),
    section(
      [
        `*Target:* #${target.id} ${target.commitSha ? `\`${shortSha(target.commitSha)}\` ${esc(target.commitSubject ?? '')}` : code(target.imageRef ?? '')}`,
        `deployed by ${who(target.actor)} ${slackDate(target.finishedAt)}${plan.current ? ` · replaces #${plan.current.id}` : ''}`,
      ].join('\n'),
    ),
    section(`${PATH_TEXT[artifact.source]}\n${esc(artifact.detail)}${artifact.estimateMs !== null ? ` Estimated *${formatDuration(artifact.estimateMs)}*.` : ''}`),
  ];
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
  blocks.push(context([`*Not restored:* ${plan.notRestored.join(', ')}. A rollback restores the code only and keeps today's env.`]));
  const value: ConfirmValue = { app: plan.app, target: target.id, nonce };
  blocks.push(actions([button(`Confirm rollback to #${target.id}`, ROLLBACK_CONFIRM, value, 'danger'), button('Cancel', ROLLBACK_CANCEL, value)]));
  return { text: `Roll back ${esc(plan.app)} to #${target.id}?${files.length || applied.length ? ' Warning: migrations have been applied since this deploy.' : ''}`, blocks };
}
