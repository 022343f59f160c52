import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { pinSubcommand, pruneSubcommand } from './deckhand-retention.js';
import { statusSubcommand } from './deckhand-status.js';
import type { SlackContext } from '../context.js';
import { code, esc } from '../blocks/common.js';
import { renderLocked, renderUnlocked } from '../blocks/locks.js';
import { authorize, ephemeral, findApp, words } from '../handler-kit.js';
import { abortAs } from '../actions/abort-deploy.js';

/** Every `/deckhand` subcommand this handler answers (help, the manifest's usage hint and tests list the same). */
export const SUBCOMMANDS = ['status', 'lock', 'unlock', 'abort', 'prune', 'pin', 'unpin', 'help'] as const;

export const HELP = [
  '*deckhand* deploys apps onto our Docker hosts and rolls them back safely. Every command answers you; refusals say why and what to do.',
  '• `/deploy <app> [ref] [-- reason]`: build and deploy a branch, tag or commit (default: the app\'s branch); progress in a thread',
  '• `/deploys <app> [limit]`: recent deploys (1-20, default 10), with "Roll back" buttons',
  '• `/rollback <app> [deploy-id] [-- reason]`: shows the plan (how the image comes back, warnings, what is not restored), then asks to confirm',
  '• `/deckhand status [app]`: what serves now, its health right now, the lock, work in progress, approvals, the last failure and the rollback window; without an app, one line per app',
  '• `/deckhand lock <app> <reason>` / `/deckhand unlock <app>`: stop or allow forward deploys (rollbacks still work)',
  '• `/deckhand abort <app>`: stop the app\'s running deploy or rollback; it ends cancelled and the previous version keeps serving (also the Abort button on its progress message, and `deckhand abort <app>`)',
  '• `/deckhand prune [app] [dry-run]`: remove images retention no longer keeps, and post the report here',
  '• `/deckhand pin <app> <deploy-id>` / `/deckhand unpin <app> <deploy-id>`: keep a deploy\'s image whatever the policy says',
  '• `/deckhand help`: this text',
  'Break-glass CLI on the deckhand host: `deckhand status`, `deckhand audit`, `deckhand recover` and the rest (`deckhand help`).',
].join('\n');

const USAGE = 'Usage: `/deckhand status [app]`, `/deckhand lock <app> <reason>`, `/deckhand unlock <app>`, `/deckhand abort <app>`, `/deckhand prune [app] [dry-run]`, `/deckhand pin|unpin <app> <deploy-id>` or `/deckhand help`';

export function deckhandCommand(ctx: SlackContext) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const [sub, name, ...rest] = words(command.text);
    const args = [name, ...rest].filter((w): w is string => w !== undefined);
    if (!sub || sub === 'help') return ack(ephemeral(HELP));
    if (sub === 'status') return statusSubcommand(ctx, ack, respond, args);
    if (sub === 'prune') return pruneSubcommand(ctx, command, ack, respond, args);
    if (sub === 'pin' || sub === 'unpin') return pinSubcommand(ctx, command, ack, respond, sub, name, rest);
    if (sub === 'abort') {
      if (!name || rest.length > 0) return ack(ephemeral('Usage: `/deckhand abort <app>`'));
      const target = findApp(ctx, name);
      if (typeof target === 'string') return ack(ephemeral(target));
      await ack();
      return abortAs(ctx, respond, command.user_id, target);
    }
    if (sub !== 'lock' && sub !== 'unlock') return ack(ephemeral(`${code(sub)} is not a deckhand command. ${USAGE}`));
    if (!name || (sub === 'lock' && rest.length === 0) || (sub === 'unlock' && rest.length > 0)) return ack(ephemeral(USAGE));
    const app = findApp(ctx, name);
    if (typeof app === 'string') return ack(ephemeral(app));
    await ack();
    if (!(await authorize(ctx, respond, command.user_id, app, 'deploy'))) return;
    const { controls } = ctx.services;
    if (sub === 'lock') return void (await respond(renderLocked(app.name, await controls.lock(app.name, rest.join(' '), command.user_id))));
    const removed = await controls.unlock(app.name, command.user_id);
    await respond(removed ? renderUnlocked(app.name, command.user_id, removed) : ephemeral(`*${esc(app.name)}* was not locked; nothing changed.`));
  };
}
