import { DeckhandError } from '../../domain/errors.js';
import { formatPruneReport } from '../../domain/retention/report-text.js';
import type { CommandContext, ParsedOptions } from '../context.js';

export async function pruneCommand(ctx: CommandContext, args: string[], options: ParsedOptions): Promise<number> {
  if (args.length > 0) throw new DeckhandError('invalid_argument', 'Usage: deckhand prune [--app A] [--dry-run] [--json]');
  const report = await ctx.services.prune.run({ app: options.app, dryRun: options.dryRun, actor: ctx.actor });
  ctx.io.out(ctx.json ? JSON.stringify(report, null, 2) : formatPruneReport(report));
  return report.apps.some((a) => a.failures.length > 0) ? 1 : 0;
}
