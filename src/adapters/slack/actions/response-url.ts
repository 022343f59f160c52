import type { Message } from '../slack-gateway.js';
import { RESPOND_TIMEOUT_MS, boundedRespond } from '../respond.js';

/**
 * Replaces an ephemeral message through the response_url Slack gave with the command or click that showed it (the
 * only way to edit an ephemeral message; Slack honours a response_url for 30 minutes). Bounded in time; false when
 * Slack did not take it.
 */
export async function replaceViaResponseUrl(url: string, message: Message, timeoutMs = RESPOND_TIMEOUT_MS): Promise<boolean> {
  if (!url.startsWith('https://')) return false;
  try {
    await boundedRespond(url, timeoutMs)({ replace_original: true, response_type: 'ephemeral', text: message.text, blocks: (message.blocks ?? []) as never });
    return true;
  } catch {
    return false;
  }
}
