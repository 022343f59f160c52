import type { Approval } from '../../domain/approvals/approval.js';
import type { Deployment } from '../../domain/deployment.js';
import { formatDuration } from '../../domain/duration.js';
import { DeckhandError } from '../../domain/errors.js';
import { shortSha } from '../../domain/refs/git-ref.js';
import { placementLines, placementSummary } from '../../domain/placement/placement-text.js';
import { windowText } from '../../domain/retention/report-text.js';
import type { AppStatus, HealthNow } from '../../domain/status/status-service.js';
import type { CommandContext } from '../context.js';
import { deploymentJson } from '../output.js';

const USAGE = 'Usage: deckhand status [app] [--json]';

const utc = (date: Date | null) => (date ? `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC` : '-');
const ago = (date: Date | null, now: Date) => (date ? `${formatDuration(Math.max(0, now.getTime() - date.getTime()))} ago` : '-');
const ran = (d: Deployment) => (d.commitSha ? `${shortSha(d.commitSha)} ${d.commitSubject ?? ''}`.trimEnd() : (d.imageRef ?? '-'));

function approvalJson(a: Approval) {
  return { id: a.id, kind: a.kind, deploymentId: a.deploymentId, targetId: a.targetId, requestedBy: a.requestedBy, createdAt: a.createdAt.toISOString(), expiresAt: a.expiresAt.toISOString() };
}

/** The stable JSON shape of `deckhand status --json`. */
export function statusJson(s: AppStatus) {
  return {
    app: s.app,
    checkedAt: s.checkedAt.toISOString(),
    mode: s.mode,
    serving: s.serving ? deploymentJson(s.serving) : null,
    health: s.health,
    processes: s.processes,
    // Only on a cluster runtime: the serving version's tasks node by node.
    ...(s.placement ? { placement: s.placement } : {}),
    lock: s.lock ? { reason: s.lock.reason, lockedBy: s.lock.lockedBy, lockedAt: s.lock.lockedAt.toISOString() } : null,
    inProgress: s.inProgress.map(deploymentJson),
    pendingApprovals: s.pendingApprovals.map(approvalJson),
    lastFailure: s.lastFailure ? deploymentJson(s.lastFailure) : null,
    window: s.window,
    windowError: s.windowError ?? null,
  };
}

/** The health probes, one line each, as both status views print them. */
export const probeLines = (h: HealthNow) => h.probes.map((p) => `  health:      ${p.where === 'public' ? 'public port' : 'container port'} ${p.url}: ${p.detail}`);
export const noteLine = (note: string) => `  note:        ${note}`;

/** One app in full, as an operator reads it in a terminal. */
export function formatAppStatus(s: AppStatus): string {
  const now = s.checkedAt;
  const h = s.health;
  const lines = [`${s.app}: ${h.state}`];
  lines.push(s.serving ? `  serving:     #${s.serving.id} ${ran(s.serving)} (by ${s.serving.actor}, since ${utc(s.serving.finishedAt)}, ${ago(s.serving.finishedAt, now)})` : '  serving:     nothing (never deployed)');
  lines.push(...probeLines(h));
  if (h.container) lines.push(`  container:   ${h.container.name} ${h.container.status ?? (h.container.running ? 'running' : 'stopped')}${h.container.restartCount ? `, restarted ${h.container.restartCount} time(s)` : ''}`);
  if (s.placement) lines.push(`  tasks:       ${placementSummary(s.placement)}`, ...placementLines(s.placement).map((line) => `    ${line}`));
  for (const p of s.processes) lines.push(`  ${`${p.name}:`.padEnd(12)} ${p.running}/${p.replicas} running${p.containers.length ? ` (${p.containers.map((c) => `${c.name} ${c.status ?? (c.running ? 'running' : 'stopped')}${c.restartCount ? `, restarted ${c.restartCount}x` : ''}`).join('; ')})` : ''}`);
  if (h.note) lines.push(noteLine(h.note));
  lines.push(s.lock ? `  lock:        locked by ${s.lock.lockedBy} since ${utc(s.lock.lockedAt)}: ${s.lock.reason} ("deckhand unlock ${s.app}" when ready)` : '  lock:        not locked');
  lines.push(`  in progress: ${s.inProgress.length ? s.inProgress.map((d) => `#${d.id} ${d.status} ${ran(d)} by ${d.actor}`).join('; ') : 'nothing'}`);
  lines.push(`  approvals:   ${s.pendingApprovals.length ? s.pendingApprovals.map((a) => `${a.kind} asked by ${a.requestedBy}, expires ${utc(a.expiresAt)}`).join('; ') : 'none waiting'}`);
  if (s.lastFailure) lines.push(`  last failure: #${s.lastFailure.id} ${ran(s.lastFailure)} at ${utc(s.lastFailure.finishedAt ?? s.lastFailure.createdAt)}: ${(s.lastFailure.error ?? '').split('\n')[0]} (${s.lastFailure.errorCode ?? 'failed'})`);
  lines.push(`  rollback window: ${s.windowError ? `could not be worked out: ${s.windowError}` : windowText(s)}`);
  return lines.join('\n');
}

/** One line per app. */
export function formatStatusOverview(apps: AppStatus[]): string {
  if (apps.length === 0) return 'No apps are configured.';
  return apps
    .map((s) => {
      const parts = [`${s.app}: ${s.health.state}`, s.serving ? `#${s.serving.id} ${ran(s.serving)} by ${s.serving.actor} since ${utc(s.serving.finishedAt)}` : 'never deployed'];
      if (s.lock) parts.push(`locked by ${s.lock.lockedBy}`);
      if (s.inProgress.length) parts.push(`${s.inProgress.length} in progress`);
      if (s.pendingApprovals.length) parts.push(`${s.pendingApprovals.length} waiting for approval`);
      if (s.lastFailure) parts.push(`#${s.lastFailure.id} failed`);
      return parts.join(' | ');
    })
    .join('\n');
}

/** `deckhand status [app]`: exit code 0 when everything asked about is healthy, 1 otherwise (for scripts and cron). */
export async function statusCommand(ctx: CommandContext, args: string[]): Promise<number> {
  if (args.length > 1) throw new DeckhandError('invalid_argument', USAGE);
  const { services, io, json } = ctx;
  const statuses = args[0] ? [await services.status.app(services.deploys.requireApp(args[0]))] : await services.status.all();
  if (json) io.out(JSON.stringify(args[0] ? statusJson(statuses[0]!) : statuses.map(statusJson), null, 2));
  else io.out(args[0] ? formatAppStatus(statuses[0]!) : formatStatusOverview(statuses));
  return statuses.every((s) => s.health.state === 'healthy') ? 0 : 1;
}
