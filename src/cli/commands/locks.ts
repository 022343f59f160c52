import type { StoreServices } from '../../compose-store.js';
import { DeckhandError } from '../../domain/errors.js';
import type { CommandContext, ParsedOptions } from '../context.js';

const USAGE = 'Usage: deckhand lock <app> -m REASON | deckhand lock status | deckhand unlock <app>';

export async function lockCommand(ctx: CommandContext<StoreServices>, args: string[], options: ParsedOptions): Promise<number> {
  const [app, extra] = args;
  const { io, services, json } = ctx;
  if (app === 'status' && options.message === undefined) {
    if (extra !== undefined) throw new DeckhandError('invalid_argument', USAGE);
    const locks = await services.locks.list();
    if (json) io.out(JSON.stringify(locks.map((l) => ({ ...l, lockedAt: l.lockedAt.toISOString() })), null, 2));
    else io.out(locks.length ? locks.map((l) => `${l.app}: locked by ${l.lockedBy} at ${l.lockedAt.toISOString()}: ${l.reason}`).join('\n') : 'No app is locked.');
    return 0;
  }
  if (!app || extra !== undefined || !options.message?.trim()) throw new DeckhandError('invalid_argument', USAGE);
  services.requireApp(app);
  await services.controls.lock(app, options.message.trim(), ctx.actor);
  io.out(json ? JSON.stringify({ app, locked: true, reason: options.message.trim() }) : `Locked ${app}: ${options.message.trim()}`);
  return 0;
}

export async function unlockCommand(ctx: CommandContext<StoreServices>, args: string[]): Promise<number> {
  const [app, extra] = args;
  if (!app || extra !== undefined) throw new DeckhandError('invalid_argument', USAGE);
  const { io, services, json } = ctx;
  services.requireApp(app);
  const removed = await services.controls.unlock(app, ctx.actor);
  io.out(json ? JSON.stringify({ app, locked: false, was: removed?.reason ?? null }) : removed ? `Unlocked ${app} (was: ${removed.reason}).` : `${app} was not locked.`);
  return 0;
}
