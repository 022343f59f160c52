import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { ephemeral, findApp, words } from '../handler-kit.js';
import { showRollbackConfirmation } from '../rollback-flow.js';

const USAGE = 'Usage: `/rollback <app> [deploy-id]` (without an id: the previous successful deploy)';

export function rollbackCommand(ctx: SlackContext) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const [name, idText, extra] = words(command.text);
    const id = idText === undefined ? undefined : Number(idText.replace(/^#/, ''));
    if (!name || extra !== undefined || (id !== undefined && (!Number.isInteger(id) || id < 1))) return ack(ephemeral(USAGE));
    const app = findApp(ctx, name);
    if (typeof app === 'string') return ack(ephemeral(app));
    await ack();
    await showRollbackConfirmation(ctx, respond, command.user_id, app, id);
  };
}
