import type { AckFn, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import type { AppSpec } from '../../../domain/apps.js';
import { parseDeployId } from '../../../domain/deploy-id.js';
import { isDeckhandError } from '../../../domain/errors.js';
import { renderPruneReport } from '../blocks/prune-report.js';
import { esc, who } from '../blocks/common.js';
import { type SlackContext, inBackground } from '../context.js';
import { authorize, ephemeral, errorText, findApp } from '../handler-kit.js';

type Ack = AckFn<string | RespondArguments>;

/** `/deckhand prune [app] [dry-run]`: needs deploy rights on every app it touches; the report goes to the channel. */
export async function pruneSubcommand(ctx: SlackContext, command: SlashCommand, ack: Ack, respond: RespondFn, args: string[]): Promise<void> {
  const dryRun = args.includes('dry-run');
  const names = args.filter((a) => a !== 'dry-run');
  if (names.length > 1) return ack(ephemeral('Usage: `/deckhand prune [app] [dry-run]`'));
  let apps: AppSpec[];
  if (names[0]) {
    const app = findApp(ctx, names[0]);
    if (typeof app === 'string') return ack(ephemeral(app));
    apps = [app];
  } else {
    apps = ctx.services.apps.names().map((n) => ctx.services.deploys.requireApp(n));
  }
  await ack();
  for (const app of apps) if (!(await authorize(ctx, respond, command.user_id, app, 'deploy'))) return;
  await respond(ephemeral(`${dryRun ? 'Planning' : 'Running'} a prune of ${names[0] ? esc(names[0]) : 'every app'}; the report will be posted here.`));
  inBackground(ctx, async () => {
    try {
      const report = await ctx.services.prune.run({ app: names[0], dryRun, actor: command.user_id });
      await ctx.gateway.post(command.channel_id, renderPruneReport(report, command.user_id));
    } catch (error) {
      await respond(ephemeral(errorText(error)));
    }
  });
}

export async function pinSubcommand(ctx: SlackContext, command: SlashCommand, ack: Ack, respond: RespondFn, sub: 'pin' | 'unpin', name: string | undefined, rest: string[]): Promise<void> {
  const usage = ephemeral(`Usage: \`/deckhand ${sub} <app> <deploy-id>\``);
  if (!name || rest.length !== 1) return ack(usage);
  let id: number;
  try {
    id = parseDeployId(rest[0]!);
  } catch (error) {
    return ack(isDeckhandError(error, 'not_found') ? ephemeral(errorText(error)) : usage);
  }
  const app = findApp(ctx, name);
  if (typeof app === 'string') return ack(ephemeral(app));
  await ack();
  if (!(await authorize(ctx, respond, command.user_id, app, 'deploy'))) return;
  try {
    if (sub === 'pin') await ctx.services.controls.pin(app.name, id, command.user_id);
    else if (!(await ctx.services.controls.unpin(app.name, id, command.user_id))) return void (await respond(ephemeral(`*${esc(app.name)}* #${id} was not pinned; nothing changed.`)));
  } catch (error) {
    return void (await respond(ephemeral(errorText(error))));
  }
  await respond({ response_type: 'in_channel', text: sub === 'pin' ? `:pushpin: ${who(command.user_id)} pinned *${esc(app.name)}* #${id}: retention keeps its image until \`/deckhand unpin ${esc(app.name)} ${id}\`.` : `${who(command.user_id)} unpinned *${esc(app.name)}* #${id}: retention may prune its image again.` });
}
