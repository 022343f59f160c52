import { formatBytes } from '../../../domain/duration.js';
import type { AppPruneReport, PruneReport } from '../../../domain/retention/prune-service.js';
import { nodeImageLines, reasonCounts, windowText } from '../../../domain/retention/report-text.js';
import { type Block, context, esc, header, section, slackDate, who } from './common.js';
import { LIMITS, capList, clipLines } from './limits.js';

/** What the run freed, or for a dry run what it would free: layers no remaining image uses, each counted once. */
export const freedBy = (app: AppPruneReport, dryRun: boolean) => (dryRun ? app.bytesToFree : app.bytesFreed);

function appSection(app: AppPruneReport, dryRun: boolean): Block {
  const kept = app.decisions.filter((d) => d.action === 'keep');
  const pruned = app.decisions.filter((d) => d.action === 'prune');
  const lines = [
    `*${esc(app.app)}* (keep last ${app.policy.keepLast} or ${app.policy.keepDays} days)`,
    ...(app.skipped ? [`:fast_forward: skipped: ${esc(app.skipped)}`] : []),
    `Kept ${kept.length}: ${reasonCounts(app, 'keep')}`,
    `${dryRun ? 'Would prune' : 'Pruned'} ${pruned.length}: ${reasonCounts(app, 'prune')} · ${dryRun ? 'would free' : 'freed'} *${formatBytes(freedBy(app, dryRun))}*`,
    ...(app.registryDeleted.length ? [`Deleted from the registry: ${app.registryDeleted.length} tag(s)`] : []),
    ...nodeImageLines(app).map((line) => esc(line.trim().replace(/^./, (c) => c.toUpperCase()))),
    `Rollback window: ${windowText(app)}`,
    ...app.failures.map((f) => `:x: ${esc(f)}`),
  ];
  return section(clipLines(lines, LIMITS.sectionText));
}

/** The report posted after every prune run: per app, kept/pruned with reasons, bytes freed, rollback window, failures. */
export function renderPruneReport(report: PruneReport, actor?: string): { text: string; blocks: Block[] } {
  const failures = report.apps.reduce((n, a) => n + a.failures.length, 0);
  const total = report.apps.reduce((n, a) => n + freedBy(a, report.dryRun), 0);
  const title = `${report.dryRun ? 'Prune dry run' : 'Prune report'}: ${report.dryRun ? 'would free' : 'freed'} ${formatBytes(total)}${failures ? `, ${failures} failure(s)` : ''}`;
  const body = capList(report.apps.map((a) => appSection(a, report.dryRun)), LIMITS.blocks - 2, (n) => context([`…and ${n} more apps`]));
  const footer = `${report.apps.length} app(s) · ${actor ? `asked by ${who(actor)} · ` : ''}finished ${slackDate(report.finishedAt)} · bytes count shared image layers once`;
  return { text: title, blocks: [header(title), ...body, context([footer])] };
}

/** A scheduled prune that could not run: the reason in a sentence, the code after it. */
export function renderPruneFailure(code: string, message: string): { text: string } {
  return { text: `:x: The scheduled prune failed: ${esc(message)}${/[.!?]$/.test(message.trim()) ? '' : '.'} It runs again at its next scheduled time; \`/deckhand prune\` runs it now (\`${esc(code)}\`).` };
}

/** The weekly summary: disk use, rollback window and what the next prune would remove. */
export function renderRetentionSummary(apps: AppPruneReport[]): { text: string; blocks: Block[] } {
  const sections = apps.map((a) => {
    const next = a.decisions.filter((d) => d.action === 'prune');
    return section(
      clipLines(
        [
          `*${esc(a.app)}*: ${a.decisions.length} image(s), *${formatBytes(a.bytesOnDisk)}* on disk`,
          `Rollback window: ${windowText(a)}`,
          `Next prune would remove ${next.length} image(s) (${formatBytes(a.bytesToFree)})`,
          ...a.failures.map((f) => `:x: ${esc(f)}`),
        ],
        LIMITS.sectionText,
      ),
    );
  });
  return { text: 'Retention summary', blocks: [header('Retention summary'), ...capList(sections, LIMITS.blocks - 1, (n) => context([`…and ${n} more apps`]))] };
}
