import { type GitRun, gitLines } from './git-process.js';

export interface CommitStatus {
  present: boolean;
  reachable: boolean;
}

const FULL_SHA = /^[0-9a-f]{40,64}$/;

/**
 * Whether each commit's objects are in the mirror and whether a branch or tag still reaches it, in two git
 * processes whatever the number of commits, side by side: one `cat-file --batch-check` for presence, one `rev-list`
 * walk from every branch and tag for reachability, stopped as soon as it has passed every present commit. A git failure
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
  // Both processes start together: the walk looks for every commit asked until cat-file says which are here, then
  // only for those, and stops as soon as it has passed them all (a commit that is not here is never found).
  const present = new Set<string>();
  const presence = gitLines(run, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], `${valid.join('\n')}\n`, (line) => {
    const [sha = '', type] = line.trim().split(' ');
    if (type === 'commit' && result.has(sha)) present.add(sha);
  }).catch(failed);
  const pending = new Set(valid);
  const reachable = new Set<string>();
  const walk = gitLines(run, ['rev-list', '--branches', '--tags'], undefined, (line) => {
    const sha = line.trim();
    if (pending.delete(sha)) reachable.add(sha);
    return pending.size === 0;
  }).catch(failed);
  await presence;
  for (const sha of valid) if (!present.has(sha)) pending.delete(sha);
  await walk;
  for (const sha of present) result.set(sha, { present: true, reachable: reachable.has(sha) });
  return { statuses: result, complete };
}
