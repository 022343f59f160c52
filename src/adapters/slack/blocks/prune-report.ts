import { formatBytes } from '../../../domain/duration.js';
import type { AppPruneReport, PruneReport } from '../../../domain/retention/prune-service.js';
import { reasonCounts, windowText } from '../../../domain/retention/report-text.js';
import { type Block, context, esc, header, section } from './common.js';
import { LIMITS, capList, clipLines } from './limits.js';

function appSection(app: AppPruneReport, dryRun: boolean): Block {
  const kept = app.decisions.filter((d) => d.action === 'keep');
  const pruned = app.decisions.filter((d) => d.action === 'prune');
  const freed = dryRun ? pruned.reduce((n, d) => n + d.sizeBytes, 0) : app.bytesFreed;
  const lines = [
    `*${esc(app.app)}* (keep last ${app.policy.keepLast} or ${app.policy.keepDays} days)`,
    ...(app.skipped ? [`:fast_forward: skipped: ${esc(app.skipped)}`] : []),
    `Kept ${kept.length}: ${reasonCounts(app, 'keep')}`,
    `${dryRun ? 'Would prune' : 'Pruned'} ${pruned.length}: ${reasonCounts(app, 'prune')} · ${dryRun ? 'would free' : 'freed'} *${formatBytes(freed)}*`,
    ...(app.registryDeleted.length ? [`Deleted from the registry: ${app.registryDeleted.length} tag(s)`] : []),
    `Rollback window: ${windowText(app)}`,
    ...app.failures.map((f) => `:x: ${esc(f)}`),
  ];
  return section(clipLines(lines, LIMITS.sectionText));
}

/** The report posted after every prune run: per app, kept/pruned with reasons, bytes freed, rollback window, failures. */
export function renderPruneReport(report: PruneReport): { text: string; blocks: Block[] } {
  const failures = report.apps.reduce((n, a) => n + a.failures.length, 0);
  const total = report.apps.reduce((n, a) => n + (report.dryRun ? a.decisions.filter((d) => d.action === 'prune').reduce((m, d) => m + d.sizeBytes, 0) : a.bytesFreed), 0);
  const title = `${report.dryRun ? 'Prune dry run' : 'Prune report'}: ${report.dryRun ? 'would free' : 'freed'} ${formatBytes(total)}${failures ? `, ${failures} failure(s)` : ''}`;
  const body = capList(report.apps.map((a) => appSection(a, report.dryRun)), LIMITS.blocks - 2, (n) => context([`…and ${n} more apps`]));
  return { text: title, blocks: [header(title), ...body, context([`${report.apps.length} app(s) · finished ${report.finishedAt.toISOString()}`])] };
}

/** A scheduled prune that could not run: the code and the (escaped) reason. */
export function renderPruneFailure(code: string, message: string): { text: string } {
  return { text: `:x: The scheduled prune failed: ${esc(code)}: ${esc(message)}` };
}

/** The weekly summary: disk use, rollback window and what the next prune would remove. */
export function renderRetentionSummary(apps: Array<AppPruneReport & { diskBytes: number }>): { text: string; blocks: Block[] } {
  const sections = apps.map((a) => {
    const next = a.decisions.filter((d) => d.action === 'prune');
    return section(
      clipLines(
        [
          `*${esc(a.app)}*: ${a.decisions.length} image(s), *${formatBytes(a.diskBytes)}* on disk`,
          `Rollback window: ${windowText(a)}`,
          `Next prune would remove ${next.length} image(s) (${formatBytes(next.reduce((n, d) => n + d.sizeBytes, 0))})`,
          ...a.failures.map((f) => `:x: ${esc(f)}`),
        ],
        LIMITS.sectionText,
      ),
    );
  });
  return { text: 'Retention summary', blocks: [header('Retention summary'), ...capList(sections, LIMITS.blocks - 1, (n) => context([`…and ${n} more apps`]))] };
}
