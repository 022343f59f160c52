import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { AppSpec } from '../../../domain/apps.js';
import { needsApproval } from '../../../domain/approvals/approval-service.js';
import { splitReason } from '../../../domain/approvals/reason.js';
import { requestApproval } from '../actions/approval-request.js';
import { code, esc } from '../blocks/text.js';
import { channelProblem, isChannelProblem } from '../channel-problem.js';
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
    await startDeploy(ctx, respond, command.user_id, command.channel_id, app, ref, reason);
  };
}

/**
 * `/deploy` after its ack, and "Retry" on a failed deploy: access checked, approval asked where policy says so,
 * else the deploy starts at once and streams into a thread (refusals are answered ephemerally, with no thread).
 */
export async function startDeploy(ctx: SlackContext, respond: RespondFn, user: string, channel: string, app: AppSpec, ref: string | undefined, reason: string | null = null): Promise<void> {
  if (!(await authorize(ctx, respond, user, app, 'deploy'))) return;
  const label = ref ?? (app.source.kind === 'git' ? app.source.branch : app.source.image);
  if (needsApproval(app, channel)) {
    const queued = await ctx.services.deploys.enqueue({ app: app.name, ref, actor: user, trigger: 'slack' });
    try {
      await requestApproval(ctx, app, { kind: 'deploy', deploymentId: queued.id, requestedBy: user, channel, reason });
    } catch (error) {
      if (!isChannelProblem(error)) throw error;
      const request = (error as { approvalId?: number }).approvalId;
      await respond(ephemeral(`${channelProblem(error, channel)} Approvers cannot see request #${request} for deploy #${queued.id}; it expires by itself. Run \`/deploy\` again once I can post.`));
      return;
    }
    await respond(ephemeral(`Approval requested for deploy #${queued.id}; an approver other than you must approve it.`));
    return;
  }
  inBackground(ctx, () =>
    runWithProgress(ctx, { channel, app: app.name, kind: 'deploy', ref, respond, title: `Deploying ${code(label)} to ${esc(app.name)} (by <@${user}>)` }, (track) =>
      ctx.services.deploys.deploy({ app: app.name, ref, actor: user, trigger: 'slack', onStarted: (d) => track(d.id) }),
    ),
  );
}
