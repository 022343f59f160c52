/**
 * The retention plan as it was before issue 12 (every image compared with every deploy: O(images × deploys)), kept
 * unchanged as a test oracle: the indexed plan must decide exactly the same on every input.
 */
import type { Deployment } from '../../src/domain/deployment.js';
import { isTerminal, previousSuccessful } from '../../src/domain/deployment.js';
import type { ImageDecision, KeepReason, PruneReason, RetentionInput } from '../../src/domain/retention/policy.js';

const DAY = 86_400_000;

export function planRetentionBefore(input: RetentionInput): ImageDecision[] {
  const { policy, now, deployments, currentId } = input;
  const succeeded = deployments
    .filter((d) => d.status === 'succeeded' && d.imageId)
    .sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0) || b.id - a.id);
  const previous = previousSuccessful(succeeded, succeeded.find((d) => d.id === currentId));
  const keepLast = new Set(succeeded.slice(0, Math.max(0, policy.keepLast)).map((d) => d.id));
  const since = now.getTime() - policy.keepDays * DAY;
  const unfetchable = new Set(input.unfetchableCommits);
  const pinned = new Set(input.pinnedIds);

  const reasonsFor = (d: Deployment): KeepReason[] => {
    const reasons: KeepReason[] = [];
    if (d.id === currentId) reasons.push('running');
    if (!isTerminal(d.status)) reasons.push('in_progress');
    if (d.id === previous?.id) reasons.push('previous');
    if (pinned.has(d.id)) reasons.push('pinned');
    if (d.status === 'succeeded' && d.source === 'git' && d.commitSha && unfetchable.has(d.commitSha)) reasons.push('only_copy');
    if (keepLast.has(d.id)) reasons.push('keep_last');
    if (d.status === 'succeeded' && policy.keepDays > 0 && (d.finishedAt?.getTime() ?? 0) >= since) reasons.push('keep_days');
    return reasons;
  };

  return input.images.map((image) => {
    const users = deployments.filter((d) => d.imageId === image.imageId).sort((a, b) => b.id - a.id);
    const keep = [...new Set(users.flatMap(reasonsFor))];
    if (keep.length > 0) return { ...image, action: 'keep', reasons: keep, deploymentIds: users.map((d) => d.id) };
    const reason: PruneReason = users.length === 0 ? 'unreferenced' : users.every((d) => d.status !== 'succeeded') ? 'failed_deploy' : 'outside_policy';
    return { ...image, action: 'prune', reasons: [reason], deploymentIds: users.map((d) => d.id) };
  });
}
