import type { Message } from '../slack-gateway.js';

/**
 * Replaces an ephemeral message through the response_url Slack gave with the command or click that showed it (the
 * only way to edit an ephemeral message; Slack honours a response_url for 30 minutes). Bounded in time; false when
 * Slack did not take it.
 */
export async function replaceViaResponseUrl(url: string, message: Message, timeoutMs = 10_000): Promise<boolean> {
  if (!url.startsWith('https://')) return false;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, response_type: 'ephemeral', text: message.text, blocks: message.blocks ?? [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok;
  } catch {
    return false;
  }
}
