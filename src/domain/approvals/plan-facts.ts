import { createHash } from 'node:crypto';

/**
 * The facts a card or an approval showed, kept with it: when Confirm or Approve is clicked the plan is computed
 * again, and if any of these differ the new plan is shown instead of acted on (as branch-deploy's `ref_changed`).
 */
export interface PlanFacts {
  /** The deploy serving now. */
  current: number | null;
  /** The commit (git apps) or image the deploy would run. */
  target: string | null;
  /** Rollbacks: how the artifact is obtained (reuse_image, pull_image, rebuild_from_source). */
  artifact: string | null;
  /** Migration files (and applied migrations) named on the card. */
  migrations: string[];
  /** `who: reason` of the app's lock, if locked. */
  lock: string | null;
  /** Deploys of the app running now. */
  inProgress: number[];
}

/** A short stable digest of the facts. */
export function fingerprint(facts: PlanFacts): string {
  const canonical = JSON.stringify([facts.current, facts.target, facts.artifact, [...facts.migrations].sort(), facts.lock, [...facts.inProgress].sort((a, b) => a - b)]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** What changed between the facts shown and the facts now, one sentence each; empty when nothing did. */
export function describeChanges(shown: PlanFacts, now: PlanFacts): string[] {
  const changes: string[] = [];
  if (shown.current !== now.current) changes.push(`The running deploy changed: ${now.current === null ? 'nothing' : `#${now.current}`} serves now (was ${shown.current === null ? 'nothing' : `#${shown.current}`}).`);
  if (shown.target !== now.target) changes.push(`The target changed: it is now ${short(now.target)} (was ${short(shown.target)}).`);
  if (shown.artifact !== now.artifact) changes.push(`The way to get the image changed: ${words(now.artifact)} (was ${words(shown.artifact)}).`);
  const added = now.migrations.filter((m) => !shown.migrations.includes(m));
  const gone = shown.migrations.filter((m) => !now.migrations.includes(m));
  if (added.length) changes.push(`New migrations: ${added.join(', ')}.`);
  if (gone.length) changes.push(`No longer in the plan: ${gone.join(', ')}.`);
  if (shown.lock !== now.lock) changes.push(now.lock ? `The app is now locked (${now.lock}).` : 'The app is no longer locked.');
  const started = now.inProgress.filter((id) => !shown.inProgress.includes(id));
  if (started.length) changes.push(`A deploy is in progress: ${started.map((id) => `#${id}`).join(', ')}.`);
  else if (shown.inProgress.length && !now.inProgress.length) changes.push('The deploy that was in progress has finished.');
  return changes;
}

const short = (value: string | null) => (value === null ? 'none' : /^[0-9a-f]{40,64}$/.test(value) ? value.slice(0, 7) : value);
const words = (artifact: string | null) => (artifact ?? 'none').replace(/_/g, ' ');
