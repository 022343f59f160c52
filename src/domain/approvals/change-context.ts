import type { AppSpec } from '../apps.js';
import type { CommitSummary, SourceRepo } from '../ports.js';
import { compareUrl } from '../refs/forge-link.js';

/** How many commits a card lists before "…and N more". */
export const COMMIT_LIST_LIMIT = 10;

/**
 * What a person needs to decide on a deploy or rollback of a git app: the commit running now and the one asked
 * for, the commits between them, the migrations, and a compare link on the forge when the remote is on one.
 */
export interface ChangeContext {
  current: CommitSummary | null;
  target: CommitSummary | null;
  /** `forward`: the target is ahead (commits arrive); `back`: the target is behind (commits are undone). */
  direction: 'forward' | 'back' | 'same';
  /** Up to COMMIT_LIST_LIMIT commits, newest first; `more` counts the rest. */
  commits: CommitSummary[];
  more: number;
  compareUrl: string | null;
  migrations: string[];
  /** Why part of the context is missing (git unreachable...), in words. */
  notes: string[];
}

/**
 * The context between `currentSha` (may be null: nothing runs yet) and `targetSha`. Never throws: what git cannot
 * tell is left out and named in `notes`, because a card must still be shown.
 */
export async function changeContext(source: SourceRepo, app: AppSpec, currentSha: string | null, targetSha: string, limit = COMMIT_LIST_LIMIT): Promise<ChangeContext> {
  const result: ChangeContext = { current: null, target: null, direction: 'forward', commits: [], more: 0, compareUrl: null, migrations: [], notes: [] };
  if (app.source.kind !== 'git') return result;
  const remote = app.source.url;
  const summary = (sha: string) => source.commitSummary(app, sha).catch(() => ({ sha, subject: '', author: '' }));
  if (!currentSha) {
    result.target = await summary(targetSha);
    return result;
  }
  if (currentSha === targetSha) {
    result.target = await summary(targetSha);
    result.current = { ...result.target };
    result.direction = 'same';
    return result;
  }
  // One read for both commits and both directions (git walks their difference once).
  const compared = await source.compareCommits(app, currentSha, targetSha, limit).then((comparison) => ({ comparison }), (error: unknown) => ({ error }));
  if ('error' in compared) {
    [result.target, result.current] = await Promise.all([summary(targetSha), summary(currentSha)]);
    result.notes.push(`Could not list the commits between them: ${(compared.error as Error).message}`);
  } else {
    const { ahead, behind, from, to } = compared.comparison;
    result.target = to;
    result.current = from;
    const [list, direction] = ahead.total > 0 ? [ahead, 'forward' as const] : behind.total > 0 ? [behind, 'back' as const] : [ahead, 'same' as const];
    result.direction = direction;
    result.commits = list.commits.slice(0, limit);
    result.more = Math.max(0, list.total - result.commits.length);
    result.compareUrl = (direction === 'back' ? compareUrl(remote, targetSha, currentSha) : compareUrl(remote, currentSha, targetSha)) ?? null;
  }
  if (app.migrations.paths.length > 0) {
    const [from, to] = result.direction === 'back' ? [targetSha, currentSha] : [currentSha, targetSha];
    try {
      result.migrations = await source.changedPaths(app, from, to, app.migrations.paths);
    } catch (error) {
      result.notes.push(`Could not compare migration files: ${(error as Error).message}`);
    }
  }
  return result;
}
