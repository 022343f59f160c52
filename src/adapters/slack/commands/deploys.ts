import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { renderDeployList } from '../blocks/deploy-list.js';
import { ephemeral, findApp, words } from '../handler-kit.js';
import { sharedRead } from '../shared-read.js';

const USAGE = 'Usage: `/deploys <app> [limit]` (limit 1-20, default 10)';

export function deploysCommand(ctx: SlackContext) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const [name, limitText, extra] = words(command.text);
    const limit = limitText === undefined ? 10 : Number(limitText);
    if (!name || extra !== undefined || !Number.isInteger(limit) || limit < 1 || limit > 20) return ack(ephemeral(USAGE));
    const app = findApp(ctx, name);
    if (typeof app === 'string') return ack(ephemeral(app));
    await ack();
    // The same list asked by others at this moment is read and rendered once for all of them (shared-read.ts).
    const list = await sharedRead(ctx, `deploys:${app.name}:${limit}`, async () => {
      const [rows, current] = await Promise.all([ctx.services.store.list(app.name, limit), ctx.services.store.current(app.name)]);
      return renderDeployList(app.name, rows, current?.id ?? null, app.processes);
    });
    await respond({ response_type: 'ephemeral', ...list });
  };
}
