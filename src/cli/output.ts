import type { DeployEvent } from '../domain/deploy/events.js';
import type { Deployment } from '../domain/deployment.js';
import { formatDuration } from '../domain/duration.js';
import { shortSha } from '../domain/refs/git-ref.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The stable JSON shape scripts rely on. */
export function deploymentJson(d: Deployment) {
  return {
    id: d.id,
    app: d.app,
    status: d.status,
    ref: d.gitRef,
    commit: d.commitSha,
    image: d.imageRef,
    imageId: d.imageId,
    trigger: d.trigger,
    actor: d.actor,
    rollbackOf: d.rollbackOf,
    rollbackSource: d.rollbackSource,
    createdAt: d.createdAt.toISOString(),
    startedAt: d.startedAt?.toISOString() ?? null,
    finishedAt: d.finishedAt?.toISOString() ?? null,
    errorCode: d.errorCode,
    error: d.error,
  };
}

export function formatEvent(event: DeployEvent): string {
  const tag = `#${event.deploymentId}`;
  switch (event.type) {
    case 'phase':
      return `${tag} [${event.phase}] ${event.message}`;
    case 'log':
      return `${tag}   | ${event.line}`;
    case 'health':
      return `${tag} [health] attempt ${event.attempt}: ${event.ok ? 'healthy' : event.detail}`;
    case 'switch':
      return `${tag} [switch] traffic -> #${event.to}${event.from ? ` (was #${event.from})` : ''} via ${event.mode}`;
    case 'result':
      return `${tag} [result] ${event.status} in ${formatDuration(event.durationMs)}${event.error ? `: ${event.error}` : ''}${event.note ? ` (${event.note})` : ''}`;
  }
}

function when(date: Date | null): string {
  return date ? date.toISOString().replace('T', ' ').slice(0, 19) : '-';
}

export function formatDeploymentTable(rows: Deployment[]): string {
  if (rows.length === 0) return 'No deploys yet.';
  const header = ['ID', 'STATUS', 'COMMIT', 'REF/IMAGE', 'TRIGGER', 'ACTOR', 'CREATED (UTC)', 'DURATION', 'NOTE'];
  const lines = rows.map((d) => [
    `#${d.id}`,
    d.status,
    shortSha(d.commitSha),
    d.gitRef ?? d.imageRef ?? '-',
    d.rollbackOf ? `rollback of #${d.rollbackOf}` : d.trigger,
    d.actor,
    when(d.createdAt),
    d.startedAt && d.finishedAt ? formatDuration(d.finishedAt.getTime() - d.startedAt.getTime()) : '-',
    d.error ? `${d.errorCode}: ${d.error.split('\n')[0]}` : (d.commitSubject ?? ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [render(header), ...lines.map(render)].join('\n');
}
