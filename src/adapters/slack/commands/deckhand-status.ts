import type { AckFn, RespondArguments, RespondFn } from '@slack/bolt';
import { renderAppStatus, renderStatusOverview } from '../blocks/status.js';
import type { SlackContext } from '../context.js';
import { ephemeral, errorText, findApp } from '../handler-kit.js';

type Ack = AckFn<string | RespondArguments>;

/**
 * `/deckhand status [app]`: reads only, so anyone in the workspace may ask. Acks first (health probes and the
 * repository fetch for the rollback window take longer than Slack's 3 s), then answers the asker ephemerally.
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
    await respond(ephemeral(errorText(error)));
  }
}
