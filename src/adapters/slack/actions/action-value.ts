import type { BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppSpec } from '../../../domain/apps.js';
import type { SlackContext } from '../context.js';
import { ephemeral, findApp } from '../handler-kit.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

/** The JSON a deckhand button carries, with the clicker and channel; undefined when it is not ours. */
export function readButton<T extends object>(args: ButtonArgs, keys: Array<keyof T>): { value: T; user: string; channel: string; responseUrl: string | null } | undefined {
  try {
    const value = JSON.parse(args.action.value ?? '') as T;
    if (typeof value !== "object" || value === null || keys.some((key) => value[key] === undefined)) return undefined;
    const channel = args.body.channel?.id ?? args.body.container?.channel_id;
    if (!channel) return undefined;
    const responseUrl = (args.body as { response_url?: unknown }).response_url;
    return { value, user: args.body.user.id, channel, responseUrl: typeof responseUrl === 'string' ? responseUrl : null };
  } catch {
    return undefined;
  }
}

/**
 * Every deckhand button starts the same way: ack, read the value, find the app. Answers the clicker and returns
 * undefined when the button is not valid any more or the app is gone from the config.
 */
export async function openClick<T extends { app: string }>(ctx: SlackContext, args: ButtonArgs, keys: Array<keyof T>): Promise<{ value: T; user: string; channel: string; responseUrl: string | null; app: AppSpec } | undefined> {
  await args.ack();
  const click = readButton<T>(args, keys);
  if (!click) {
    await args.respond(ephemeral('That button is no longer valid.'));
    return undefined;
  }
  const app = findApp(ctx, click.value.app);
  if (typeof app === 'string') {
    await args.respond(ephemeral(app));
    return undefined;
  }
  return { ...click, app };
}
