import type { AllMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { showRollbackConfirmation } from '../rollback-flow.js';
import { type ButtonArgs, openClick } from './action-value.js';

/** "Roll back to #id" in /deploys: the same confirmation as /rollback. */
export function rollbackOpenAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const click = await openClick<{ app: string; id: number }>(ctx, args, ['app', 'id']);
    if (!click) return;
    const { app } = click;
    await showRollbackConfirmation(ctx, args.respond, click.user, app, click.value.id);
  };
}
