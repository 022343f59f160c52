import type { StoreServices } from '../../compose-store.js';
import { DeckhandError } from '../../domain/errors.js';
import { deployIdArgument } from '../arguments.js';
import type { CommandContext, ParsedOptions } from '../context.js';

/** `deckhand pin|unpin <app> <id>`: keep (or stop keeping) a deploy's image whatever retention says. */
export async function pinCommand(ctx: CommandContext<StoreServices>, args: string[], _options: ParsedOptions, unpin = false): Promise<number> {
  const [app, idText, extra] = args;
  const usage = `Usage: deckhand ${unpin ? 'unpin' : 'pin'} <app> <deploy-id>`;
  const id = deployIdArgument(idText, usage);
  if (!app || id === undefined || extra !== undefined) throw new DeckhandError('invalid_argument', usage);
  ctx.services.requireApp(app);
  if (unpin) {
    const removed = await ctx.services.controls.unpin(app, id, ctx.actor);
    ctx.io.out(removed ? `Unpinned #${id}: retention may prune its image again.` : `#${id} was not pinned.`);
  } else {
    await ctx.services.controls.pin(app, id, ctx.actor);
    ctx.io.out(`Pinned #${id}: retention keeps its image until unpinned.`);
  }
  return 0;
}

export const unpinCommand = (ctx: CommandContext<StoreServices>, args: string[], options: ParsedOptions) => pinCommand(ctx, args, options, true);
