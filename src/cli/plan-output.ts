import { formatDuration } from '../domain/duration.js';
import { shortSha } from '../domain/refs/git-ref.js';
import type { RollbackPlan } from '../domain/rollback/plan.js';

const PATH_MEANING: Record<RollbackPlan['artifact']['source'], string> = {
  reuse_image: 'reuse the image on this host (seconds)',
  pull_image: 'pull the image from the registry (about as long as a download)',
  rebuild_from_source: 'rebuild from source (as long as a build)',
};

export function planJson(plan: RollbackPlan) {
  return { ...plan, target: { ...plan.target, finishedAt: plan.target.finishedAt?.toISOString() ?? null } };
}

/** The plan as an operator reads it before confirming. */
export function formatPlan(plan: RollbackPlan): string {
  const { target, artifact } = plan;
  const lines = [
    `Rollback plan for ${plan.app}: #${plan.current?.id ?? '-'} -> #${target.id}`,
    `  target:   #${target.id} ${shortSha(target.commitSha)} ${target.commitSubject ?? target.imageRef ?? ''} (deployed by ${target.actor}${target.finishedAt ? ` at ${target.finishedAt.toISOString()}` : ''})`,
    `  artifact: ${artifact.source}: ${PATH_MEANING[artifact.source]}`,
    `            ${artifact.detail}${artifact.estimateMs !== null ? ` Estimated: ${formatDuration(artifact.estimateMs)}.` : ''}`,
  ];
  if (plan.commit) lines.push(`  commit:   ${plan.commit.reachable ? 'still on a branch or tag' : plan.commit.present ? 'only in deckhand\'s mirror' : 'not fetchable'}`);
  if (plan.schema.migrationFiles.length) lines.push(`  migration files changed since #${target.id}:`, ...plan.schema.migrationFiles.map((f) => `    - ${f}`));
  if (plan.schema.appliedMigrations.length) lines.push('  migrations applied to the database since then:', ...plan.schema.appliedMigrations.map((m) => `    - ${m}`));
  const env = plan.envChanges;
  if (env && env.added.length + env.removed.length + env.changed.length > 0) {
    lines.push(`  env names that differ (values never shown): ${[...env.changed.map((n) => `${n} (changed)`), ...env.added.map((n) => `${n} (added)`), ...env.removed.map((n) => `${n} (removed)`)].join(', ')}`);
  }
  for (const warning of plan.warnings) lines.push(`  WARNING: ${warning}`);
  lines.push(`  not restored: ${plan.notRestored.join(', ')} (a rollback restores the code only)`);
  return lines.join('\n');
}
