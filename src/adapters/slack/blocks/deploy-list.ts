import type { Deployment } from '../../../domain/deployment.js';
import { shortSha } from '../../../domain/refs/git-ref.js';
import { type Block, STATUS_EMOJI, button, code, context, esc, header, section, slackDate, took, who } from './common.js';
import { LIMITS, capList } from './limits.js';

export const ROLLBACK_OPEN = 'rollback_open';

const ROLLBACK_WORDS: Record<NonNullable<Deployment['rollbackSource']>, string> = {
  reuse_image: 'image reused',
  pull_image: 'image pulled',
  rebuild_from_source: 'rebuilt from source',
};

/** What a deploy ran, as one line: short SHA and subject, or the image. */
export function whatRan(d: Pick<Deployment, 'commitSha' | 'commitSubject' | 'imageRef'>): string {
  return d.commitSha ? `\`${shortSha(d.commitSha)}\` ${esc(d.commitSubject ?? '')}`.trimEnd() : code(d.imageRef ?? '-');
}

/** A failure as a sentence, its code after it: "The health check failed … (`health_check_failed`)". */
export function failureLine(d: Pick<Deployment, 'error' | 'errorCode'>): string | undefined {
  if (!d.error) return undefined;
  return `${esc(d.error.split('\n')[0]!)}${d.errorCode ? ` (\`${esc(d.errorCode)}\`)` : ''}`;
}

/** `/deploys` as Block Kit: one section per deploy, a "Roll back to #id" button where that can work. */
export function renderDeployList(app: string, rows: Deployment[], currentId: number | null, processes: Array<{ name: string; replicas: number }> = []): { text: string; blocks: Block[] } {
  const runs = processes.length ? ` · runs web + ${processes.map((p) => `${esc(p.name)} ×${p.replicas}`).join(' + ')}` : '';
  const rowBlocks = rows.map((d) => {
    const duration = d.startedAt && d.finishedAt ? ` · took ${took(d.startedAt, d.finishedAt)}` : '';
    const parts = [
      `${STATUS_EMOJI[d.status]} *#${d.id}* ${d.status}${d.id === currentId ? ` · *serving now*${runs}` : ''}`,
      whatRan(d),
      `by ${who(d.actor)} · ${slackDate(d.createdAt)}${duration}`,
    ];
    if (d.rollbackOf) parts.push(`:leftwards_arrow_with_hook: rollback to #${d.rollbackOf}${d.rollbackSource ? ` (${ROLLBACK_WORDS[d.rollbackSource]})` : ''}`);
    const failure = failureLine(d);
    if (failure) parts.push(`_${failure}_`);
    const canRollBack = d.status === 'succeeded' && d.imageId !== null && d.id !== currentId;
    return section(parts.join('\n'), canRollBack ? button(`Roll back to #${d.id}`, ROLLBACK_OPEN, { app, id: d.id }) : undefined);
  });
  // One block is the header.
  const body = capList(rowBlocks, LIMITS.blocks - 1, (n) => context([`…and ${n} more`]));
  return {
    text: `Recent deploys of ${esc(app)}`,
    blocks: [header(`Deploys of ${app}`), ...(rows.length ? body : [section(`_No deploys of ${esc(app)} yet._ \`/deploy ${esc(app)}\` makes the first one.`)])],
  };
}
