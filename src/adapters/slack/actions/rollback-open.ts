import type { AllMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { type ButtonArgs, openClick } from './action-value.js';
import { showRollbackCard } from './rollback-card.js';

/**
 * "Roll back to #id" in /deploys: the same card as /rollback, shown in place of the list, so that the click's
 * response_url (which edits the message clicked) is the card's own: the sweeper can mark it expired there.
 */
export function rollbackOpenAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const click = await openClick<{ app: string; id: number }>(ctx, args, ['app', 'id']);
    if (!click) return;
    const { app } = click;
    await showRollbackCard(ctx, args.respond, app, click.value.id, { user: click.user, channel: click.channel, reason: null, responseUrl: click.responseUrl, replace: true });
  };
}
