import type { Deployment } from '../deployment.js';
import { formatDuration } from '../duration.js';

/**
 * The two moments of a deploy or rollback, from its start: when traffic moved to it (the pipeline's `switch`
 * event: the new version serves from then on) and when it finished (drain, stopping the old container, records).
 * `servingMs` is null when traffic never moved.
 */
export function moments(deployment: Pick<Deployment, 'startedAt' | 'finishedAt'>, switchedAt: Date | undefined): { servingMs: number | null; finishedMs: number | null } {
  const start = deployment.startedAt?.getTime();
  if (start === undefined) return { servingMs: null, finishedMs: null };
  return {
    servingMs: switchedAt ? Math.max(0, switchedAt.getTime() - start) : null,
    finishedMs: deployment.finishedAt ? Math.max(0, deployment.finishedAt.getTime() - start) : null,
  };
}

/** "serving after 0.4 s, finished after 1.1 s" (without a switch: "finished after 1.1 s"). */
export function momentsText(deployment: Pick<Deployment, 'startedAt' | 'finishedAt'>, switchedAt: Date | undefined): string {
  const { servingMs, finishedMs } = moments(deployment, switchedAt);
  const finished = `finished after ${finishedMs === null ? '?' : formatDuration(finishedMs)}`;
  return servingMs === null ? finished : `serving after ${formatDuration(servingMs)}, ${finished}`;
}
