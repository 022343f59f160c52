import { createHmac } from 'node:crypto';
import { HOOKS } from './slack-mock.js';

export const SIGNING_SECRET = 'test-signing-secret';

export function sign(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SIGNING_SECRET) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

let counter = 0;

/** A signed request to Bolt's real HTTP receiver. */
export async function postToBolt(baseUrl: string, body: string, headers: Record<string, string> = sign(body)) {
  const response = await fetch(`${baseUrl}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const text = await response.text();
  return { status: response.status, text, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
}

export function slashCommand(command: string, text: string, user = 'U1ALICE', channel = 'C1DEPLOYS') {
  counter += 1;
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T1',
    team_domain: 'test',
    channel_id: channel,
    channel_name: 'deploys',
    user_id: user,
    user_name: user.toLowerCase(),
    command,
    text,
    api_app_id: 'A1',
    response_url: `${HOOKS}/commands/${counter}`,
    trigger_id: `trigger-${counter}`,
  }).toString();
}

/** A block_actions payload for a click on a button deckhand rendered. */
export function buttonClick(button: { action_id: string; value: string }, user = 'U1ALICE', channel = 'C1DEPLOYS') {
  counter += 1;
  const payload = {
    type: 'block_actions',
    team: { id: 'T1', domain: 'test' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'legacy',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: channel, is_ephemeral: true },
    trigger_id: `trigger-${counter}`,
    channel: { id: channel, name: 'deploys' },
    response_url: `${HOOKS}/actions/${counter}`,
    actions: [{ type: 'button', action_id: button.action_id, block_id: 'b', text: { type: 'plain_text', text: 'x' }, value: button.value, action_ts: `${Date.now() / 1000}` }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Every button in a message's blocks. */
export function buttonsOf(message: { blocks?: Array<Record<string, any>> }): Array<{ action_id: string; value: string; text: string }> {
  const out: Array<{ action_id: string; value: string; text: string }> = [];
  for (const block of message.blocks ?? []) {
    if (block.accessory?.type === 'button') out.push({ action_id: block.accessory.action_id, value: block.accessory.value, text: block.accessory.text.text });
    for (const el of block.elements ?? []) if (el.type === 'button') out.push({ action_id: el.action_id, value: el.value, text: el.text.text });
  }
  return out;
}
