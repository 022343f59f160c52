import type { AllMiddlewareArgs } from '@slack/bolt';
import { who } from '../blocks/common.js';
import type { ConfirmValue } from '../blocks/rollback-confirmation.js';
import type { SlackContext } from '../context.js';
import { authorize, ephemeral } from '../handler-kit.js';
import { startRollback } from '../rollback-flow.js';
import { type ButtonArgs, openClick } from './action-value.js';

/**
 * Confirm: access is checked again, then the confirmation's nonce is claimed once in the database, so a double
 * click, a retried request or two people confirming start one rollback.
 */
export function rollbackConfirmAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const click = await openClick<ConfirmValue>(ctx, args, ['app', 'target', 'nonce']);
    if (!click) return;
    const { app } = click;
    if (!(await authorize(ctx, args.respond, click.user, app, 'rollback'))) return;
    const claim = await ctx.claims.claim(`rollback-confirm:${click.value.nonce}`, click.user, ctx.clock.now());
    if (!claim.first) {
      {
      await args.respond(ephemeral(`Already confirmed by ${who(claim.claimedBy)}; one rollback runs.`));
      return;
    }
    }
    await startRollback(ctx, args.respond, click.user, click.channel, app, click.value.target);
  };
}

export function rollbackCancelAction() {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    await args.ack();
    await args.respond({ replace_original: true, text: 'Rollback cancelled; nothing changed.' });
  };
}
