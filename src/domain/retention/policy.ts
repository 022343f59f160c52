import type { Deployment } from '../deployment.js';
import { isTerminal, previousSuccessful } from '../deployment.js';

export interface RetentionPolicy {
  /** Keep the images of the last N successful deploys... */
  keepLast: number;
  /** ...or of every successful deploy of the last D days, whichever keeps more. */
  keepDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepLast: 10, keepDays: 30 };

/** Why an image stays. The first five protect it whatever the policy says. */
export type KeepReason = 'running' | 'in_progress' | 'previous' | 'pinned' | 'only_copy' | 'keep_last' | 'keep_days';
export type PruneReason = 'outside_policy' | 'failed_deploy' | 'unreferenced';

export const PROTECTED_REASONS: readonly KeepReason[] = ['running', 'in_progress', 'previous', 'pinned', 'only_copy'];

export interface ImageFacts {
  imageId: string;
  sizeBytes: number;
}

export interface RetentionInput {
  policy: RetentionPolicy;
  now: Date;
  /** Every deploy of the app (any status). */
  deployments: Deployment[];
  /** The app's images on the host. */
  images: ImageFacts[];
  currentId: number | null;
  pinnedIds: number[];
  /** Commits that can no longer be fetched from the repository. */
  unfetchableCommits: string[];
}

export interface ImageDecision {
  imageId: string;
  sizeBytes: number;
  action: 'keep' | 'prune';
  reasons: Array<KeepReason | PruneReason>;
  /** Deploys that ran this image, newest first. */
  deploymentIds: number[];
}

const DAY = 86_400_000;

/** The deploys that ran each image, newest (highest id) first: one pass and one sort per image, O(n log n) in all. */
function usersByImage(deployments: Deployment[]): Map<string, Deployment[]> {
  const users = new Map<string, Deployment[]>();
  for (const d of deployments) {
    if (d.imageId === null) continue;
    const list = users.get(d.imageId);
    if (list) list.push(d);
    else users.set(d.imageId, [d]);
  }
  for (const list of users.values()) list.sort((a, b) => b.id - a.id);
  return users;
}

/**
 * Keep or prune, with the reasons, for every image of one app. Pure: the same input gives the same plan. Deploys are
 * indexed by image once, so the plan costs O(n log n) in deploys and images (not deploys times images).
 */
export function planRetention(input: RetentionInput): ImageDecision[] {
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

  const byImage = usersByImage(deployments);
  return input.images.map((image) => {
    const users = byImage.get(image.imageId) ?? [];
    const keep = [...new Set(users.flatMap(reasonsFor))];
    if (keep.length > 0) return { ...image, action: 'keep', reasons: keep, deploymentIds: users.map((d) => d.id) };
    const reason: PruneReason = users.length === 0 ? 'unreferenced' : users.every((d) => d.status !== 'succeeded') ? 'failed_deploy' : 'outside_policy';
    return { ...image, action: 'prune', reasons: [reason], deploymentIds: users.map((d) => d.id) };
  });
}
