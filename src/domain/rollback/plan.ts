import type { AppSpec } from '../apps.js';
import type { Deployment, RollbackSource } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import { type ChangeContext, changeContext } from '../approvals/change-context.js';
import type { PlanFacts } from '../approvals/plan-facts.js';
import type { AppLockStore, DeploymentStore, MigrationHistory, RegistryClient, Runtime, SecretReader, SourceRepo } from '../ports.js';
import { type EnvNameDiff, diffEnvNames } from './env-snapshot.js';
import { webEnvNow } from '../secret-env.js';

/** What a rollback never brings back (seed 004): it restores the image only. */
export const NOT_RESTORED = ['environment variables', 'secrets', 'database schema', 'volumes'] as const;

export const SCHEMA_WARNING = 'Migrations have been applied since this deploy. Schema mismatch possible.';

export interface RollbackPlan {
  app: string;
  target: Pick<Deployment, 'id' | 'gitRef' | 'commitSha' | 'commitSubject' | 'imageRef' | 'imageId' | 'registryRef' | 'actor' | 'finishedAt'>;
  current: Pick<Deployment, 'id' | 'commitSha' | 'imageRef'> | null;
  artifact: { source: RollbackSource; detail: string; estimateMs: number | null };
  /** Everything the operator should read before confirming; never a reason to block. */
  warnings: string[];
  schema: { migrationFiles: string[]; appliedMigrations: string[]; notes: string[] };
  /** Env var names that differ between the target deploy and now; null when the target kept no snapshot. */
  envChanges: EnvNameDiff | null;
  /** null for image apps. */
  commit: { present: boolean; reachable: boolean } | null;
  notRestored: readonly string[];
  /** The commits between what runs and the target (undone by the rollback), with a compare link; null for image apps. */
  changes?: ChangeContext | null;
  /** The app's lock (a rollback passes it, but the reader should know). */
  lock?: { lockedBy: string; reason: string } | null;
  /** Deploys of the app running now. */
  inProgress?: number[];
  /** What the card shows, to notice a changed plan when Confirm is clicked. */
  facts?: PlanFacts;
  /** The app's release command (run.release); a rollback skips it unless asked (`--release`). */
  release?: readonly string[];
}

export interface PlannerDeps {
  store: DeploymentStore;
  runtime: Runtime;
  source: SourceRepo;
  registry: RegistryClient;
  migrations: MigrationHistory;
  locks: AppLockStore;
  /** Reads deckhand's own environment (for the read-only migrations database URL). */
  envLookup: (name: string) => string | undefined;
  /** Reads the app's secret env sources, to tell whether their values changed since the target deploy. */
  secrets?: SecretReader;
}

/** Finds what a rollback to `targetId` would do, changing nothing. Throws not_found / invalid_rollback_target / already_current. */
export async function planRollback(deps: PlannerDeps, app: AppSpec, targetId: number): Promise<RollbackPlan> {
  // Reads that do not depend on each other run together: a plan is on the critical path of a CLI rollback.
  const [target, current] = await Promise.all([deps.store.get(targetId), deps.store.current(app.name)]);
  if (!target || target.app !== app.name) {
    throw new DeckhandError('not_found', `There is no deploy #${targetId} of ${app.name}.`, { app: app.name, id: targetId });
  }
  if (target.status === 'reverted' || target.status === 'cancelled') {
    const why = target.status === 'reverted' ? 'its watch window saw it fail and sent traffic back' : 'it was cancelled';
    throw new DeckhandError('invalid_rollback_target', `Deploy #${targetId} is ${target.status} (${why}), so it is never a rollback target; pick a deploy that succeeded.`, { id: targetId, status: target.status });
  }
  if (target.status !== 'succeeded' || !target.imageId) {
    const why = target.status === 'failed' ? 'it failed' : target.status === 'superseded' ? 'it was superseded and never ran' : `it is ${target.status}`;
    throw new DeckhandError('invalid_rollback_target', `Deploy #${targetId} never produced a running image (${why}); pick a deploy that succeeded.`, { id: targetId, status: target.status });
  }
  const warnings: string[] = [];
  if (current && (current.id === target.id || current.imageId === target.imageId)) {
    // Only what still has its container runs now: one removed outside deckhand is brought back by this rollback.
    if (!current.containerId || (await deps.runtime.inspectContainer(current.containerId).catch(() => 'unknown')) !== undefined) {
      throw new DeckhandError('already_current', `Deploy #${targetId} is what ${app.name} runs now${current.id !== target.id ? ` (as #${current.id}, the same image)` : ''}.`, { id: targetId, current: current.id });
    }
    warnings.push(`The container of #${current.id} is gone (removed outside deckhand), so nothing serves ${app.name}: this rollback starts #${targetId}'s image again in a new container.`);
  }

  const database = Promise.all([deps.locks.get(app.name), deps.store.inFlight(app.name)]);
  database.catch(() => undefined); // awaited below; a failure before that must not be an unhandled rejection
  const applied = appliedMigrations(deps, app, target);
  const inspected = deps.runtime.inspectImage(target.imageId).then(Boolean);
  inspected.catch(() => undefined);
  // The mirror is read beside the image lookup, never fetching. Only when what the plan needs is not mirrored (the
  // target's commit for a rebuild, both commits for the schema diff) is it fetched and read again: a reuse rollback,
  // and any rollback whose commits deckhand already mirrors, never reaches the network.
  const mirrored = readMirror(deps, app, target, current, 'never');
  const imagePresent = await inspected;
  let reads = await mirrored;
  if (reads.lacking(imagePresent)) reads = await readMirror(deps, app, target, current, 'if-missing');
  const { commit } = reads;
  const [artifact, schemaApplied, changes, [lock, running]] = await Promise.all([
    resolveArtifact(deps, app, target, commit, imagePresent),
    applied,
    reads.changes,
    database,
  ]);
  const schema: RollbackPlan['schema'] = { migrationFiles: reads.files.paths, appliedMigrations: schemaApplied.names, notes: [...reads.files.notes, ...schemaApplied.notes] };
  if (commit && !commit.reachable) {
    warnings.push(commit.present
      ? `Commit ${target.commitSha!.slice(0, 7)} is no longer on any branch or tag of the repository (force-pushed away?); only deckhand's mirror still has it.`
      : `Commit ${target.commitSha!.slice(0, 7)} can no longer be fetched from the repository.`);
  }
  if (schema.migrationFiles.length > 0 || schema.appliedMigrations.length > 0) warnings.unshift(SCHEMA_WARNING);
  warnings.push(...schema.notes);
  const envChanges = target.envSnapshot ? diffEnvNames(target.envSnapshot, webEnvNow(app, deps.secrets)) : null;
  if (envChanges && envChanges.added.length + envChanges.removed.length + envChanges.changed.length > 0) {
    warnings.push('Environment variables changed since this deploy; the rollback keeps today\'s values.');
  }
  const inProgress = running.map((d) => d.id);
  const facts: PlanFacts = {
    current: current?.id ?? null,
    target: target.commitSha ?? target.imageId,
    artifact: artifact.source,
    migrations: [...schema.migrationFiles, ...schema.appliedMigrations],
    lock: lock ? `${lock.lockedBy}: ${lock.reason}` : null,
    inProgress,
  };
  return {
    app: app.name,
    target: { id: target.id, gitRef: target.gitRef, commitSha: target.commitSha, commitSubject: target.commitSubject, imageRef: target.imageRef, imageId: target.imageId, registryRef: target.registryRef, actor: target.actor, finishedAt: target.finishedAt },
    current: current ? { id: current.id, commitSha: current.commitSha, imageRef: current.imageRef } : null,
    artifact,
    warnings,
    schema,
    envChanges,
    commit,
    notRestored: NOT_RESTORED,
    changes,
    lock: lock ? { lockedBy: lock.lockedBy, reason: lock.reason } : null,
    inProgress,
    facts,
    ...(app.run.release ? { release: app.run.release } : {}),
  };
}

interface MirrorReads {
  /** The target commit's status; null for image apps. */
  commit: RollbackPlan['commit'];
  /** Whether what the plan needs is missing from the mirror: the target's commit for a rebuild, both for a schema diff. */
  lacking(imagePresent: boolean): boolean;
  files: { paths: string[]; notes: string[] };
  changes: Promise<ChangeContext | null>;
}

/**
 * What the plan reads in the mirror: the commits' status, the migration files changed between them, the commits
 * between what runs and the target. With `fetch: 'never'` all at once; with `'if-missing'` the fetch comes first, so
 * that the reads after it see what it brought.
 */
async function readMirror(deps: PlannerDeps, app: AppSpec, target: Deployment, current: Deployment | undefined, fetch: 'never' | 'if-missing'): Promise<MirrorReads> {
  if (app.source.kind !== 'git' || !target.commitSha) return { commit: null, lacking: () => false, files: { paths: [], notes: [] }, changes: Promise.resolve(null) };
  const diff = needsSchemaDiff(app, target, current);
  const shas = diff ? [target.commitSha, current!.commitSha!] : [target.commitSha];
  const statuses = deps.source.commitsStatus(app, shas, { fetch }).catch(() => undefined);
  const ready = fetch === 'never' ? Promise.resolve() : statuses;
  const files = diff
    ? ready.then(() => deps.source.changedPaths(app, target.commitSha!, current!.commitSha!, app.migrations.paths)).then(
        (paths) => ({ paths, notes: [] }),
        (error: Error) => ({ paths: [], notes: [`Could not compare migration files in git: ${error.message}`] }),
      )
    : { paths: [], notes: [] };
  const changes = ready.then(() => changeContext(deps.source, app, current?.commitSha ?? null, target.commitSha!));
  changes.catch(() => undefined); // read by the plan, or dropped when the mirror is read again after a fetch
  const [known, read] = await Promise.all([statuses, files]);
  const present = (sha: string) => known?.get(sha)?.present ?? false;
  return {
    commit: known?.get(target.commitSha) ?? { present: false, reachable: false },
    lacking: (imagePresent) => (diff || !imagePresent) && shas.some((sha) => !present(sha)),
    files: read,
    changes,
  };
}

const needsSchemaDiff = (app: AppSpec, target: Deployment, current: Deployment | undefined) =>
  app.migrations.paths.length > 0 && Boolean(target.commitSha) && Boolean(current?.commitSha) && target.commitSha !== current!.commitSha;

async function resolveArtifact(deps: PlannerDeps, app: AppSpec, target: Deployment, commit: RollbackPlan['commit'], imagePresent: boolean): Promise<RollbackPlan['artifact']> {
  if (imagePresent) {
    return { source: 'reuse_image', detail: `Image ${shortId(target.imageId!)} is still on this host: near-instant, byte-identical.`, estimateMs: null };
  }
  // A registry that cannot be asked (refused credentials, unreachable) counts as not having it; the plan says why.
  const inRegistry = app.registry && target.registryRef ? await deps.registry.has(target.registryRef).catch((error: unknown) => asDeckhandError(error)) : false;
  if (inRegistry === true) {
    return { source: 'pull_image', detail: `The image is gone from this host; pulling ${target.registryRef} from the registry.`, estimateMs: null };
  }
  const registryNote = inRegistry instanceof DeckhandError ? ` (the registry could not be asked: ${inRegistry.message})` : '';
  if (app.source.kind === 'git' && target.commitSha && commit?.present) {
    return {
      source: 'rebuild_from_source',
      detail: `The image is gone${app.registry ? ' from this host and the registry' : ' from this host'}${registryNote}; rebuilding from source at ${target.commitSha.slice(0, 7)}.`,
      estimateMs: await estimateBuild(deps.store, app.name),
    };
  }
  const where = app.registry ? 'this host and the registry' : 'this host';
  const why = app.source.kind === 'git' ? `commit ${target.commitSha?.slice(0, 7) ?? '(none)'} is not available to rebuild from` : 'an image-only app has no source to rebuild from';
  throw new DeckhandError('invalid_rollback_target', `Cannot roll back to #${target.id}: its image is gone from ${where}${registryNote}, and ${why}.`, { id: target.id });
}

/** Median duration of the app's recent successful builds from source. */
async function estimateBuild(store: DeploymentStore, app: string): Promise<number | null> {
  const durations = (await store.list(app, 50))
    .filter((d) => d.status === 'succeeded' && d.source === 'git' && (d.rollbackSource === null || d.rollbackSource === 'rebuild_from_source') && d.startedAt && d.finishedAt)
    .map((d) => d.finishedAt!.getTime() - d.startedAt!.getTime())
    .sort((a, b) => a - b);
  return durations.length ? durations[Math.floor(durations.length / 2)]! : null;
}

/** The migrations applied in the app's database since the target deploy (its `migrations.database`), with why not. */
async function appliedMigrations(deps: PlannerDeps, app: AppSpec, target: Deployment): Promise<{ names: string[]; notes: string[] }> {
  const database = app.migrations.database;
  if (!database) return { names: [], notes: [] };
  const url = deps.envLookup(database.urlEnv);
  if (!url) return { names: [], notes: [`Could not check applied migrations: ${database.urlEnv} is not set in deckhand's environment.`] };
  try {
    return { names: await deps.migrations.appliedSince({ url, table: database.table }, target.finishedAt ?? target.createdAt), notes: [] };
  } catch (error) {
    return { names: [], notes: [`Could not check applied migrations in ${database.table}: ${(error as Error).message}`] };
  }
}

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
