import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { parseDeployId } from '../../../domain/deploy-id.js';
import { isDeckhandError } from '../../../domain/errors.js';
import { ephemeral, errorText, findApp, words } from '../handler-kit.js';
import { splitReason } from '../../../domain/approvals/reason.js';
import { showRollbackCard } from '../actions/rollback-card.js';

const USAGE = 'Usage: `/rollback <app> [deploy-id] [-- reason]` (without an id: the previous successful deploy)';

export function rollbackCommand(ctx: SlackContext) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const { args, reason } = splitReason(command.text);
    const [name, idText, extra] = words(args);
    if (!name || extra !== undefined) return ack(ephemeral(USAGE));
    let id: number | undefined;
    try {
      id = idText === undefined ? undefined : parseDeployId(idText);
    } catch (error) {
      return ack(ephemeral(isDeckhandError(error, 'not_found') ? errorText(error) : USAGE));
    }
    const app = findApp(ctx, name);
    if (typeof app === 'string') return ack(ephemeral(app));
    await ack();
    await showRollbackCard(ctx, respond, app, id, { user: command.user_id, channel: command.channel_id, reason, responseUrl: command.response_url ?? null });
  };
}
