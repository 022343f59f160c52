import type { Approval } from '../../../domain/approvals/approval.js';
import type { Deployment } from '../../../domain/deployment.js';
import type { AppStatus, HealthNow, HealthState } from '../../../domain/status/status-service.js';
import { placementLines, placementSummary } from '../../../domain/placement/placement-text.js';
import { windowText } from '../../../domain/retention/report-text.js';
import { formatDuration } from '../../../domain/duration.js';
import { type Block, STATUS_EMOJI, context, esc, header, lockedBy, section, slackDate, who } from './common.js';
import { failureLine, whatRan } from './deploy-list.js';
import { LIMITS, capList, clipLines } from './limits.js';

const HEALTH_EMOJI: Record<HealthState, string> = { healthy: ':large_green_circle:', unhealthy: ':red_circle:', down: ':red_circle:', unknown: ':white_circle:' };

export function healthLine(health: HealthNow): string {
  const probes = health.probes.map((p) => `${p.where === 'public' ? 'public port' : 'container port'} ${esc(p.url.replace(/^http:\/\/[^:]+:(\d+).*$/, '$1'))}: ${esc(p.detail)}`);
  const c = health.container;
  const container = c ? `container ${esc(c.name)} ${esc(c.status ?? (c.running ? 'running' : 'stopped'))}${c.restartCount ? `, restarted ${c.restartCount} time(s)` : ''}` : undefined;
  return [`${HEALTH_EMOJI[health.state]} *${health.state}*`, ...probes, ...(container ? [container] : []), ...(health.note ? [esc(health.note)] : [])].join(' · ');
}

/** "worker 2/2 running", with the restarts of any replica that restarted. */
function processText(p: AppStatus['processes'][number]): string {
  const restarted = p.containers.filter((c) => c.restartCount).map((c) => `${esc(c.name)} restarted ${c.restartCount}x`);
  const emoji = p.running >= p.replicas ? ':large_green_circle:' : ':red_circle:';
  return `${emoji} ${esc(p.name)} ${p.running}/${p.replicas} running${restarted.length ? ` (${restarted.join(', ')})` : ''}`;
}

/** A cluster version's tasks: the summary, then one line per node (node names and messages come from the cluster: escaped). */
function placementText(p: NonNullable<AppStatus['placement']>): string {
  const emoji = p.serving >= p.wanted && p.downNodes.length === 0 ? ':large_green_circle:' : ':large_orange_circle:';
  return [`*Tasks:* ${emoji} ${esc(placementSummary(p))}`, ...placementLines(p).map((line) => `• ${esc(line)}`)].join('\n');
}

/** "for 3 min" up to `now`, in words. */
const forHow = (since: Date | null, now: Date) => (since ? formatDuration(Math.max(0, now.getTime() - since.getTime())) : '?');

function servingLine(app: string, d: Deployment | null, now: Date): string {
  if (!d) return `Nothing serves: *${esc(app)}* has never been deployed. \`/deploy ${esc(app)}\` deploys its branch.`;
  return `${STATUS_EMOJI.succeeded} *#${d.id}* ${whatRan(d)} · by ${who(d.actor)} · serving for ${forHow(d.finishedAt, now)}, since ${slackDate(d.finishedAt)}${d.rollbackOf ? ` · rollback to #${d.rollbackOf}` : ''}`;
}

function progressLine(d: Deployment, now: Date): string {
  const since = d.startedAt ?? d.createdAt;
  return `${STATUS_EMOJI[d.status]} #${d.id} ${d.status} · ${whatRan(d)} · by ${who(d.actor)} · ${d.status === 'queued' ? 'asked' : 'started'} ${forHow(since, now)} ago`;
}

function approvalLine(a: Approval): string {
  const what = a.kind === 'rollback' ? `roll back to #${a.targetId ?? '?'}` : `deploy #${a.deploymentId ?? '?'}`;
  return `:raised_hand: ${who(a.requestedBy)} asks to ${what} · expires ${slackDate(a.expiresAt)}`;
}

/** `/deckhand status <app>`: everything on-call needs before touching the app. */
export function renderAppStatus(s: AppStatus): { text: string; blocks: Block[] } {
  const lines: string[] = [`*Serving:* ${servingLine(s.app, s.serving, s.checkedAt)}`, `*Health now:* ${healthLine(s.health)}`];
  if (s.placement) lines.push(placementText(s.placement));
  if (s.processes.length > 0) lines.push(`*Processes:* ${s.processes.map(processText).join(' · ')}`);
  lines.push(s.lock ? `*Lock:* :lock: ${lockedBy(s.app, s.lock)} — \`/deckhand unlock ${esc(s.app)}\` when ready` : '*Lock:* not locked');
  const more: string[] = [];
  more.push(s.inProgress.length ? `*In progress:*\n${s.inProgress.map((d) => progressLine(d, s.checkedAt)).join('\n')}` : '*In progress:* nothing');
  more.push(s.pendingApprovals.length ? `*Waiting for approval:*\n${s.pendingApprovals.map(approvalLine).join('\n')}` : '*Waiting for approval:* nothing');
  if (s.lastFailure) more.push(`*Last failure:* :x: #${s.lastFailure.id} ${whatRan(s.lastFailure)} · by ${who(s.lastFailure.actor)} · ${slackDate(s.lastFailure.finishedAt ?? s.lastFailure.createdAt)}\n${failureLine(s.lastFailure) ?? ''}`);
  const window = s.windowError ? `could not be worked out: ${esc(s.windowError)}` : windowText(s);
  more.push(`*Rollback window:* ${window}${s.serving ? ` · \`/rollback ${esc(s.app)}\` shows the plan first` : ''}`);
  const title = `${s.app}: ${s.health.state}${s.serving ? `, #${s.serving.id} serving` : ''}${s.lock ? ', locked' : ''}`;
  return {
    text: esc(title),
    blocks: [
      header(`Status of ${s.app}`),
      section(clipLines(lines, LIMITS.sectionText)),
      section(clipLines(more, LIMITS.sectionText)),
      context([`Checked ${slackDate(s.checkedAt)} · traffic via ${s.mode === 'proxy' ? 'the proxy' : 'recreate (no proxy)'}`]),
    ],
  };
}

/** `/deckhand status`: one line per app. */
export function renderStatusOverview(apps: AppStatus[]): { text: string; blocks: Block[] } {
  const rows = apps.map((s) => {
    const parts = [`*${esc(s.app)}* ${HEALTH_EMOJI[s.health.state]} ${s.health.state}`];
    parts.push(s.serving ? `#${s.serving.id} ${whatRan(s.serving)} by ${who(s.serving.actor)} since ${slackDate(s.serving.finishedAt)}` : 'never deployed');
    if (s.lock) parts.push(`:lock: locked by ${who(s.lock.lockedBy)}`);
    if (s.inProgress.length) parts.push(`${s.inProgress.length} in progress`);
    if (s.pendingApprovals.length) parts.push(`${s.pendingApprovals.length} waiting for approval`);
    if (s.lastFailure) parts.push(`:x: #${s.lastFailure.id} failed`);
    return section(parts.join(' · '));
  });
  const unwell = apps.filter((s) => s.health.state !== 'healthy').length;
  const text = apps.length ? `${apps.length} app(s)${unwell ? `, ${unwell} not healthy` : ', all healthy'}` : 'No apps are configured.';
  return {
    text,
    blocks: [header('Status'), ...(apps.length ? capList(rows, LIMITS.blocks - 2, (n) => context([`…and ${n} more apps`])) : [section(text)]), context(['`/deckhand status <app>` shows one app in full, with its rollback window.'])],
  };
}
