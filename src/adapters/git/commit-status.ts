import { type GitRun, gitLines } from './git-process.js';

export interface CommitStatus {
  present: boolean;
  reachable: boolean;
}

const FULL_SHA = /^[0-9a-f]{40,64}$/;

/**
 * Whether each commit's objects are in the mirror and whether a branch or tag still reaches it, in two git
 * processes whatever the number of commits: one `cat-file --batch-check` for presence, one `rev-list` walk from
 * every branch and tag for reachability, stopped as soon as it has passed every present commit. A git failure
 * answers "absent" / "unreachable" for what it could not confirm (both keep images, never prune more); `complete`
 * is then false (such an answer is never remembered).
 */
export async function commitsStatusIn(run: GitRun, shas: string[]): Promise<{ statuses: Map<string, CommitStatus>; complete: boolean }> {
  const result = new Map<string, CommitStatus>(shas.map((sha) => [sha, { present: false, reachable: false }]));
  const valid = [...new Set(shas)].filter((sha) => FULL_SHA.test(sha));
  if (valid.length === 0) return { statuses: result, complete: true };
  let complete = true;
  const failed = () => {
    complete = false;
  };
  const present = new Set<string>();
  await gitLines(run, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], `${valid.join('\n')}\n`, (line) => {
    const [sha = '', type] = line.trim().split(' ');
    if (type === 'commit' && result.has(sha)) present.add(sha);
  }).catch(failed);
  const pending = new Set(present);
  const reachable = new Set<string>();
  if (pending.size > 0) {
    await gitLines(run, ['rev-list', '--branches', '--tags'], undefined, (line) => {
      const sha = line.trim();
      if (pending.delete(sha)) reachable.add(sha);
      return pending.size === 0;
    }).catch(failed);
  }
  for (const sha of present) result.set(sha, { present: true, reachable: reachable.has(sha) });
  return { statuses: result, complete };
}
