import { momentsText } from '../../domain/deploy/moments.js';
import type { Phase } from '../../domain/deploy/events.js';
import type { Deployment } from '../../domain/deployment.js';
import { formatDuration } from '../../domain/duration.js';
import { shortSha } from '../../domain/refs/git-ref.js';
import { type Block, context, esc, section } from './blocks/common.js';
import { logTailBlock } from './blocks/limits.js';
import type { LogRing } from './log-ring.js';
import type { Message } from './slack-gateway.js';

/** The emoji of a phase's reply in the thread. */
export const PHASE_EMOJI: Partial<Record<Phase, string>> = {
  artifact: ':package:',
  build: ':hammer_and_wrench:',
  start: ':rocket:',
  health: ':stethoscope:',
  switch: ':twisted_rightwards_arrows:',
  processes: ':gear:',
  watch: ':eyes:',
  cleanup: ':broom:',
  nodes: ':satellite_antenna:',
};

/** Lines of the build log the coalesced reply shows. */
export const LOG_REPLY_LINES = 60;

/** `title` and `status` are mrkdwn: every piece of user or app text in them was escaped when they were built. */
export function parentMessage(title: string, deploymentId: number | undefined, emoji: string, status: string, extra: Block[] = []): Message {
  return {
    text: `${title}: ${status}`,
    blocks: [section(`*${title}*\n${emoji} ${status}`), context([deploymentId ? `Deploy #${deploymentId} · progress in the thread` : 'Progress in the thread']), ...extra],
  };
}

/** The coalesced build-log reply: the line count and the last lines only, read from the ring when it is sent. */
export function logMessage(log: LogRing): Message {
  return { text: 'Build log', blocks: [section(`:scroll: *Build log* (${log.total} lines)\n${logTailBlock(log.tail(LOG_REPLY_LINES))}`)] };
}

/** "Deployed web #12 (`abc1234`) in 4.0 s" or "web rolled back to #9 in 1.2 s (as #13, reuse_image)". */
/** The result line of a success, with both moments: when the new version started serving and when all was done. */
export function successSummary(d: Deployment, kind: 'deploy' | 'rollback', rollbackTarget: number | undefined, switchedAt?: Date, note?: string): { text: string; blocks?: Block[] } {
  const took = d.startedAt && d.finishedAt ? formatDuration(d.finishedAt.getTime() - d.startedAt.getTime()) : '?';
  // A success on fewer cluster nodes than asked says so ("node n3 went away: completed on n1, n2").
  const both = `${momentsText(d, switchedAt)}${note ? `. ${esc(note)}` : ''}`;
  if (kind === 'rollback') return { text: `${esc(d.app)} rolled back to #${rollbackTarget ?? d.rollbackOf} in ${took} (as #${d.id}, ${d.rollbackSource}): ${both}` };
  return { text: `Deployed ${esc(d.app)} #${d.id} (${d.commitSha ? `\`${shortSha(d.commitSha)}\`` : esc(d.imageRef ?? '')}) in ${took}: ${both}` };
}
