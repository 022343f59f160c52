import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { pinSubcommand, pruneSubcommand } from './deckhand-retention.js';
import type { SlackContext } from '../context.js';
import { esc } from '../blocks/text.js';
import { authorize, ephemeral, findApp, words } from '../handler-kit.js';

export const HELP = [
  '*deckhand* deploys apps and rolls them back safely.',
  '• `/deploy <app> [ref]`: build and deploy a branch, tag or commit (default: the app\'s branch)',
  '• `/deploys <app> [limit]`: recent deploys, with "Roll back" buttons',
  '• `/rollback <app> [deploy-id]`: shows the plan (warnings, what is not restored), then asks to confirm',
  '• `/deckhand lock <app> <reason>` / `/deckhand unlock <app>`: stop or allow forward deploys',
  '• `/deckhand prune [app] [dry-run]`: remove images retention no longer keeps, and report',
  '• `/deckhand pin <app> <deploy-id>` / `/deckhand unpin <app> <deploy-id>`: keep a deploy\'s image whatever the policy says',
  '• `/deckhand help`: this text',
].join('\n');

const USAGE = 'Usage: `/deckhand lock <app> <reason>`, `/deckhand unlock <app>`, `/deckhand prune [app] [dry-run]`, `/deckhand pin|unpin <app> <deploy-id>` or `/deckhand help`';

export function deckhandCommand(ctx: SlackContext) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const [sub, name, ...rest] = words(command.text);
    if (!sub || sub === 'help') return ack(ephemeral(HELP));
    if (sub === 'prune') return pruneSubcommand(ctx, command, ack, respond, [name, ...rest].filter((w): w is string => w !== undefined));
    if (sub === 'pin' || sub === 'unpin') return pinSubcommand(ctx, command, ack, respond, sub, name, rest);
    if ((sub !== 'lock' && sub !== 'unlock') || !name || (sub === 'lock' && rest.length === 0) || (sub === 'unlock' && rest.length > 0)) return ack(ephemeral(USAGE));
    const app = findApp(ctx, name);
    if (typeof app === 'string') return ack(ephemeral(app));
    await ack();
    if (!(await authorize(ctx, respond, command.user_id, app, 'deploy'))) return;
    const { controls } = ctx.services;
    if (sub === 'lock') {
      const reason = rest.join(' ');
      await controls.lock(app.name, reason, command.user_id);
      await respond({ response_type: 'in_channel', text: `:lock: <@${command.user_id}> locked *${esc(app.name)}*: ${esc(reason)}` });
      return;
    }
    const removed = await controls.unlock(app.name, command.user_id);
    await respond(removed ? { response_type: 'in_channel', text: `:unlock: <@${command.user_id}> unlocked *${esc(app.name)}* (was: ${esc(removed.reason)})` } : ephemeral(`${esc(app.name)} was not locked.`));
  };
}
