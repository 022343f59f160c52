import { formatBytes } from '../duration.js';
import type { KeepReason, PruneReason } from './policy.js';
import type { AppPruneReport, PruneReport, WindowPath } from './prune-service.js';

const PATH_WORDS: Record<WindowPath, string> = {
  running: 'running',
  instant: 'instant (image on host)',
  pull: 'needs a pull',
  rebuild: 'needs a rebuild',
  impossible: 'no longer possible',
};

/** The order reasons are listed in: the strongest first, the same in every report whatever order images came in. */
const REASON_ORDER: Array<KeepReason | PruneReason> = ['running', 'in_progress', 'previous', 'pinned', 'only_copy', 'keep_last', 'keep_days', 'outside_policy', 'failed_deploy', 'unreferenced'];

/** Counts of decisions by reason, in REASON_ORDER, e.g. "previous 1, keep_last 2". */
export function reasonCounts(report: AppPruneReport, action: 'keep' | 'prune'): string {
  const counts = new Map<string, number>();
  for (const d of report.decisions.filter((x) => x.action === action)) for (const r of d.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const rank = (reason: string) => {
    const at = (REASON_ORDER as string[]).indexOf(reason);
    return at < 0 ? REASON_ORDER.length : at;
  };
  return [...counts].sort(([a], [b]) => rank(a) - rank(b)).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
}

/** "#12, #11 instant; #9 needs a rebuild; #3 no longer possible" */
export function windowText(report: Pick<AppPruneReport, 'window'>): string {
  const groups = new Map<WindowPath, number[]>();
  for (const w of report.window) groups.set(w.path, [...(groups.get(w.path) ?? []), w.deploymentId]);
  return (['running', 'instant', 'pull', 'rebuild', 'impossible'] as WindowPath[])
    .filter((p) => groups.has(p))
    .map((p) => `${groups.get(p)!.map((id) => `#${id}`).join(', ')} ${PATH_WORDS[p]}`)
    .join('; ') || 'no successful deploys';
}

/** Pruned images on a cluster's other nodes: where they went, and where they may still be. */
export function nodeImageLines(app: AppPruneReport): string[] {
  const count = (pick: (n: NonNullable<AppPruneReport['nodeImages']>[number]) => string[]) => {
    const byNode = new Map<string, number>();
    for (const image of app.nodeImages ?? []) for (const node of pick(image)) byNode.set(node, (byNode.get(node) ?? 0) + 1);
    return [...byNode].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  };
  const removed = count((n) => n.removedOn);
  const left = count((n) => n.leftOn);
  return [
    ...(removed.length ? [`  node images removed on: ${removed.map(([node, n]) => `${node} (${n})`).join(', ')}`] : []),
    ...left.map(([node, n]) => `  images left on ${node}: ${n} (no engine for it in DECKHAND_SWARM_NODE_ENGINES)`),
  ];
}

export function formatPruneReport(report: PruneReport): string {
  const lines = [`Prune ${report.dryRun ? '(dry run: nothing removed) ' : ''}at ${report.finishedAt.toISOString()}`];
  for (const app of report.apps) {
    const kept = app.decisions.filter((d) => d.action === 'keep');
    const pruned = app.decisions.filter((d) => d.action === 'prune');
    lines.push(`${app.app} (keep last ${app.policy.keepLast} or ${app.policy.keepDays} days):`);
    if (app.skipped) lines.push(`  skipped: ${app.skipped}`);
    lines.push(`  kept ${kept.length} image(s): ${reasonCounts(app, 'keep')}`);
    lines.push(`  ${report.dryRun ? 'would prune' : 'pruned'} ${pruned.length} image(s): ${reasonCounts(app, 'prune')}; ${report.dryRun ? 'would free' : 'freed'} ${formatBytes(report.dryRun ? app.bytesToFree : app.bytesFreed)}`);
    if (app.registryDeleted.length) lines.push(`  deleted from the registry: ${app.registryDeleted.join(', ')}`);
    lines.push(...nodeImageLines(app));
    lines.push(`  rollback window: ${windowText(app)}`);
    for (const failure of app.failures) lines.push(`  FAILED: ${failure}`);
  }
  return lines.join('\n');
}
