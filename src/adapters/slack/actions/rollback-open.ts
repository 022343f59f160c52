import type { AllMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { ephemeral, findApp } from '../handler-kit.js';
import { showRollbackConfirmation } from '../rollback-flow.js';
import { type ButtonArgs, readButton } from './action-value.js';

/** "Roll back to #id" in /deploys: the same confirmation as /rollback. */
export function rollbackOpenAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    await args.ack();
    const click = readButton<{ app: string; id: number }>(args, ['app', 'id']);
    if (!click) {
      await args.respond(ephemeral('That button is no longer valid.'));
      return;
    }
    const app = findApp(ctx, click.value.app);
    if (typeof app === 'string') {
      await args.respond(ephemeral(app));
      return;
    }
    await showRollbackConfirmation(ctx, args.respond, click.user, app, click.value.id);
  };
}
