import type { Deployment } from '../../../domain/deployment.js';
import { clip, LIMITS } from './limits.js';
import { code } from './text.js';

export { code, esc } from './text.js';

export type Block = Record<string, unknown>;

export const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: clip(text, LIMITS.sectionText) });
export const section = (text: string, accessory?: Block): Block => ({ type: 'section', text: mrkdwn(text), ...(accessory ? { accessory } : {}) });
export const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text: clip(text, LIMITS.headerText), emoji: true } });
export const context = (texts: string[]): Block => ({ type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(clip(t, LIMITS.fieldText))) });
export const divider = (): Block => ({ type: 'divider' });

export function button(text: string, actionId: string, value: unknown, style?: 'primary' | 'danger'): Block {
  return { type: 'button', text: { type: 'plain_text', text: clip(text, LIMITS.buttonText), emoji: true }, action_id: actionId, value: JSON.stringify(value), ...(style ? { style } : {}) };
}

export const actions = (elements: Block[], blockId?: string): Block => ({ type: 'actions', ...(blockId ? { block_id: blockId } : {}), elements: elements.slice(0, LIMITS.actionElements) });

/** Slack renders this in each reader's time zone; the fallback is UTC. */
export function slackDate(date: Date | null): string {
  if (!date) return '-';
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${date.toISOString().replace('T', ' ').slice(0, 16)} UTC>`;
}

/** `<@U123>` for Slack users, the name (escaped, as code) for CLI actors. */
export function who(actor: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(actor) ? `<@${actor}>` : code(actor);
}

export const STATUS_EMOJI: Record<Deployment['status'], string> = {
  queued: ':hourglass:',
  building: ':hammer_and_wrench:',
  starting: ':rocket:',
  switching: ':twisted_rightwards_arrows:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  superseded: ':fast_forward:',
};
