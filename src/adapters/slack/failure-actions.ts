import type { AllMiddlewareArgs } from '@slack/bolt';
import { appRedactor } from '../../domain/redact.js';
import { type ButtonArgs, openClick } from './actions/action-value.js';
import { type Block, context, section } from './blocks/common.js';
import { LIMITS, logTailBlock } from './blocks/limits.js';
import { startDeploy } from './commands/deploy.js';
import type { SlackContext } from './context.js';
import type { RetryValue, ShowLogValue } from './failure-story.js';
import { ephemeral } from './handler-kit.js';

/** Lines per section: each section holds one fenced block under Slack's 3,000 characters. */
const CHUNK = 40;

/** "Show full log": the deploy's stored log (the container's last lines for a health failure), ephemerally. */
export function showLogAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const click = await openClick<ShowLogValue>(ctx, args, ['app', 'id']);
    if (!click) return;
    const deployment = await ctx.services.store.get(Number(click.value.id));
    if (!deployment || deployment.app !== click.app.name) {
      await args.respond(ephemeral(`There is no deploy #${Number(click.value.id)} of ${click.app.name} any more; \`/deploys ${click.app.name}\` lists what there is.`));
      return;
    }
    const redact = appRedactor(click.app);
    const lines = (deployment.logTail ?? []).map(redact);
    const blocks: Block[] = [section(`:page_facing_up: *Log of deploy #${deployment.id}* (${lines.length} lines kept)`)];
    for (let i = 0; i < lines.length && blocks.length < LIMITS.blocks - 1; i += CHUNK) blocks.push(section(logTailBlock(lines.slice(i, i + CHUNK))));
    blocks.push(context([`The whole build and container log is the file deploy-${deployment.id}.log in the deploy's thread.`]));
    await args.respond({ response_type: 'ephemeral', replace_original: false, text: `Log of deploy #${deployment.id}`, blocks: blocks as never });
  };
}

/** "Retry": the same ref through the same path as `/deploy`, access checked again for the person who clicked. */
export function retryDeployAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const click = await openClick<RetryValue>(ctx, args, ['app']);
    if (!click) return;
    const ref = typeof click.value.ref === 'string' ? click.value.ref : undefined;
    try {
      ctx.services.deploys.target({ app: click.app.name, ref });
    } catch {
      await args.respond(ephemeral('That button is no longer valid.'));
      return;
    }
    await startDeploy(ctx, args.respond, click.user, click.channel, click.app, ref);
  };
}
