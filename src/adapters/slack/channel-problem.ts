import { SlackRefusal, SlackTimedOut } from './outbox.js';

/**
 * Why deckhand could not post in a channel, and what to do about it, as one sentence for the person who asked
 * (sent through their command's or click's response_url, which works where the bot cannot post).
 */
export function channelProblem(error: unknown, channel: string): string {
  const where = `<#${channel}>`;
  if (error instanceof SlackTimedOut) {
    return `:warning: Slack did not accept my messages in ${where} for ${Math.max(1, Math.round(error.waitedMs / 1000))} s (${error.lastError}), so I report here instead.`;
  }
  const reason = error instanceof SlackRefusal ? error.slackError : 'unknown_error';
  switch (reason) {
    case 'not_in_channel':
      return `:warning: I can't post in ${where}: I'm not a member. Invite me with \`/invite @deckhand\`, then I'll post there (\`not_in_channel\`).`;
    case 'channel_not_found':
      return `:warning: I can't see ${where}: it is private or a direct message I'm not in. Invite me with \`/invite @deckhand\`, or run the command in a channel I'm in (\`channel_not_found\`).`;
    case 'is_archived':
      return `:warning: ${where} is archived, so I can't post there. Unarchive it or run the command in another channel (\`is_archived\`).`;
    case 'missing_scope':
    case 'not_allowed_token_type':
    case 'restricted_action':
    case 'ekm_access_denied':
      return `:warning: Slack won't let me post in ${where} (\`${reason}\`). Ask a workspace admin to check deckhand's scopes (\`chat:write\`, \`chat:write.public\`) and the channel's posting permissions.`;
    case 'invalid_auth':
    case 'token_revoked':
    case 'token_expired':
    case 'account_inactive':
    case 'not_authed':
      return `:warning: deckhand's Slack token is not valid any more (\`${reason}\`). Ask a workspace admin to reinstall the app and update SLACK_BOT_TOKEN.`;
    default:
      return `:warning: Slack refused my message in ${where} (\`${reason}\`), so I report here instead.`;
  }
}

/** True for errors that mean deckhand cannot use the channel (as opposed to a bug in deckhand). */
export const isChannelProblem = (error: unknown) => error instanceof SlackRefusal || error instanceof SlackTimedOut;
