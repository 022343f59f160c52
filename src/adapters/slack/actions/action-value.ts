import type { BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

/** The JSON a deckhand button carries, with the clicker and channel; undefined when it is not ours. */
export function readButton<T extends object>(args: ButtonArgs, keys: Array<keyof T>): { value: T; user: string; channel: string } | undefined {
  try {
    const value = JSON.parse(args.action.value ?? '') as T;
    if (typeof value !== "object" || value === null || keys.some((key) => value[key] === undefined)) return undefined;
    const channel = args.body.channel?.id ?? args.body.container?.channel_id;
    if (!channel) return undefined;
    return { value, user: args.body.user.id, channel };
  } catch {
    return undefined;
  }
}
