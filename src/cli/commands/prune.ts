import { DeckhandError } from '../../domain/errors.js';
import { deployIdArgument } from '../arguments.js';
import { formatPruneReport } from '../../domain/retention/report-text.js';
import type { CommandContext, ParsedOptions } from '../context.js';

export async function pruneCommand(ctx: CommandContext, args: string[], options: ParsedOptions): Promise<number> {
  if (args.length > 0) throw new DeckhandError('invalid_argument', 'Usage: deckhand prune [--app A] [--dry-run] [--json]');
  const report = await ctx.services.prune.run({ app: options.app, dryRun: options.dryRun, actor: ctx.actor });
  ctx.io.out(ctx.json ? JSON.stringify(report, null, 2) : formatPruneReport(report));
  return report.apps.some((a) => a.failures.length > 0) ? 1 : 0;
}

export async function pinCommand(ctx: CommandContext, args: string[], _options: ParsedOptions, unpin = false): Promise<number> {
  const [app, idText, extra] = args;
  const usage = `Usage: deckhand ${unpin ? 'unpin' : 'pin'} <app> <deploy-id>`;
  const id = deployIdArgument(idText, usage);
  if (!app || id === undefined || extra !== undefined) throw new DeckhandError('invalid_argument', usage);
  ctx.services.deploys.requireApp(app);
  if (unpin) {
    const removed = await ctx.services.controls.unpin(app, id, ctx.actor);
    ctx.io.out(removed ? `Unpinned #${id}: retention may prune its image again.` : `#${id} was not pinned.`);
  } else {
    await ctx.services.controls.pin(app, id, ctx.actor);
    ctx.io.out(`Pinned #${id}: retention keeps its image until unpinned.`);
  }
  return 0;
}
