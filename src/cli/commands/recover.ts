import { DeckhandError } from '../../domain/errors.js';
import type { CommandContext } from '../context.js';

/**
 * Break-glass: does now what the bot's watchdog does every few seconds. Where record and reality disagree (a deploy
 * left half-done, a stopped serving container, a proxy pointing elsewhere) the container that really runs is
 * health-checked, the proxy pointed at it and the record made to match; nothing that serves is removed.
 */
export async function recoverCommand(ctx: CommandContext, args: string[]): Promise<number> {
  if (args.length > 1) throw new DeckhandError('invalid_argument', 'Usage: deckhand recover [app]');
  if (args[0]) ctx.services.deploys.requireApp(args[0]);
  const notes = (await ctx.services.deploys.reconcile(ctx.actor)).filter((note) => !args[0] || note.startsWith(`${args[0]}: `));
  if (ctx.json) ctx.io.out(JSON.stringify({ recovered: notes }, null, 2));
  else ctx.io.out(notes.length ? notes.join('\n') : 'Nothing to recover: what runs matches the record.');
  return notes.some((note) => note.includes('could not reconcile')) ? 1 : 0;
}
