import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { needsApproval } from '../../../domain/approvals/approval-service.js';
import { splitReason } from '../../../domain/approvals/reason.js';
import { requestApproval } from '../actions/approval-request.js';
import { code, esc } from '../blocks/text.js';
import { type SlackContext, inBackground } from '../context.js';
import { authorize, ephemeral, errorText, findApp, runWithProgress, words } from '../handler-kit.js';

const USAGE = 'Usage: `/deploy <app> [ref] [-- reason]` (ref: branch, tag or commit; a tag for image apps)';

export function deployCommand(ctx: SlackContext) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const { args, reason } = splitReason(command.text);
    const [name, ref, extra] = words(args);
    if (!name || extra !== undefined) return ack(ephemeral(USAGE));
    const app = findApp(ctx, name);
    if (typeof app === 'string') return ack(ephemeral(app));
    try {
      ctx.services.deploys.target({ app: app.name, ref });
    } catch (error) {
      return ack(ephemeral(errorText(error)));
    }
    await ack();
    if (!(await authorize(ctx, respond, command.user_id, app, 'deploy'))) return;
    const label = ref ?? (app.source.kind === 'git' ? app.source.branch : app.source.image);
    if (needsApproval(app, command.channel_id)) {
      const queued = await ctx.services.deploys.enqueue({ app: app.name, ref, actor: command.user_id, trigger: 'slack' });
      await requestApproval(ctx, app, { kind: 'deploy', deploymentId: queued.id, requestedBy: command.user_id, channel: command.channel_id, reason });
      await respond(ephemeral(`Approval requested for deploy #${queued.id}; an approver other than you must approve it.`));
      return;
    }
    inBackground(ctx, () =>
      runWithProgress(ctx, { channel: command.channel_id, app: app.name, kind: 'deploy', title: `Deploying ${code(label)} to ${esc(app.name)} (by <@${command.user_id}>)` }, () =>
        ctx.services.deploys.deploy({ app: app.name, ref, actor: command.user_id, trigger: 'slack' }),
      ),
    );
  };
}
