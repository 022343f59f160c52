import type { AckFn, RespondArguments, RespondFn } from '@slack/bolt';
import { appsIn } from '../../../domain/apps.js';
import { asDeckhandError } from '../../../domain/errors.js';
import { STORE_UNREADABLE } from '../../../domain/status/runtime-status.js';
import { renderRuntimeStatus } from '../blocks/runtime-status.js';
import { renderAppStatus, renderStatusOverview } from '../blocks/status.js';
import type { SlackContext } from '../context.js';
import { ephemeral, errorText, findApp } from '../handler-kit.js';

type Ack = AckFn<string | RespondArguments>;

/**
 * `/deckhand status [app]`: reads only, so anyone in the workspace may ask. Acks first (health probes and the
 * repository fetch for the rollback window take longer than Slack's 3 s), then answers the asker ephemerally. When
 * the database cannot be read, what runs is said from Docker and the proxy alone.
 */
export async function statusSubcommand(ctx: SlackContext, ack: Ack, respond: RespondFn, args: string[]): Promise<void> {
  if (args.length > 1) return ack(ephemeral('Usage: `/deckhand status [app]`: one app in full, or one line per app.'));
  const name = args[0];
  const app = name === undefined ? undefined : findApp(ctx, name);
  if (typeof app === 'string') return ack(ephemeral(app));
  await ack();
  try {
    const message = app ? renderAppStatus(await ctx.services.status.app(app)) : renderStatusOverview(await ctx.services.status.all());
    await respond({ response_type: 'ephemeral', ...message });
  } catch (error) {
    const failure = asDeckhandError(error);
    if (!STORE_UNREADABLE.has(failure.code)) return void (await respond(ephemeral(errorText(error))));
    // The database cannot be read: what runs is still said, from Docker and the proxy.
    const { status, apps } = ctx.services;
    const looked = await Promise.all((app ? [app] : appsIn(apps)).map((a) => status.fromRuntime(a)));
    await respond({ response_type: 'ephemeral', ...renderRuntimeStatus(failure, looked) });
  }
}

/** True for `/deckhand status …`: it reads only, so it runs even when the replay ledger cannot record it (act-once.ts), as `/deploys` does. */
export const readsOnly = (text: string | undefined) => (text ?? '').trim().split(/\s+/)[0]?.toLowerCase() === 'status';
