import type { StoreServices } from '../../compose-store.js';
import { DeckhandError } from '../../domain/errors.js';
import type { CommandContext, ParsedOptions } from '../context.js';
import { deploymentJson, formatDeploymentTable } from '../output.js';

/** `deckhand deploys <app>`: recent deploys, newest first; reads the store only. */
export async function deploysCommand(ctx: CommandContext<StoreServices>, args: string[], options: ParsedOptions): Promise<number> {
  const [app, extra] = args;
  if (!app || extra !== undefined) throw new DeckhandError('invalid_argument', 'Usage: deckhand deploys <app> [--limit N]');
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new DeckhandError('invalid_argument', '--limit must be a whole number from 1 to 500.');
  ctx.services.requireApp(app);
  const rows = await ctx.services.store.list(app, limit);
  ctx.io.out(ctx.json ? JSON.stringify(rows.map(deploymentJson), null, 2) : formatDeploymentTable(rows));
  return 0;
}
