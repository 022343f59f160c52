import type { Deployment } from '../../../domain/deployment.js';
import { formatDuration } from '../../../domain/duration.js';
import { shortSha } from '../../../domain/refs/git-ref.js';
import { type Block, STATUS_EMOJI, button, code, context, esc, header, section, slackDate, who } from './common.js';
import { LIMITS, capList } from './limits.js';

export const ROLLBACK_OPEN = 'rollback_open';

/** `/deploys` as Block Kit: one section per deploy, a "Roll back to #id" button where that can work. */
export function renderDeployList(app: string, rows: Deployment[], currentId: number | null): { text: string; blocks: Block[] } {
  const rowBlocks = rows.map((d) => {
    const parts = [
      `${STATUS_EMOJI[d.status]} *#${d.id}* ${d.status}${d.id === currentId ? ' · *running now*' : ''}`,
      d.commitSha ? `\`${shortSha(d.commitSha)}\` ${esc(d.commitSubject ?? '')}` : code(d.imageRef ?? '-'),
      `by ${who(d.actor)} · ${slackDate(d.createdAt)}${d.startedAt && d.finishedAt ? ` · ${formatDuration(d.finishedAt.getTime() - d.startedAt.getTime())}` : ''}`,
    ];
    if (d.rollbackOf) parts.push(`:leftwards_arrow_with_hook: rollback of #${d.rollbackOf} (${d.rollbackSource ?? '?'})`);
    if (d.error) parts.push(`_${esc(d.errorCode ?? 'error')}: ${esc(d.error.split('\n')[0]!)}_`);
    const canRollBack = d.status === 'succeeded' && d.imageId !== null && d.id !== currentId;
    return section(parts.join('\n'), canRollBack ? button(`Roll back to #${d.id}`, ROLLBACK_OPEN, { app, id: d.id }) : undefined);
  });
  // One block is the header.
  const body = capList(rowBlocks, LIMITS.blocks - 1, (n) => context([`…and ${n} more`]));
  return {
    text: `Recent deploys of ${esc(app)}`,
    blocks: [header(`Deploys of ${app}`), ...(rows.length ? body : [section('_No deploys yet._')])],
  };
}
