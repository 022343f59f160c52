import type { Deployment } from '../../../domain/deployment.js';
import { formatDuration } from '../../../domain/duration.js';
import { type DeckhandError, asDeckhandError } from '../../../domain/errors.js';
import { clip, LIMITS } from './limits.js';
import { esc } from './text.js';

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

const utc = (date: Date) => `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;

/** Slack renders this in each reader's time zone ("Today at 14:02"); the fallback (old clients, notifications) is UTC. */
export function slackDate(date: Date | null): string {
  if (!date) return '-';
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${utc(date)}>`;
}

/** "3 minutes ago", in each reader's words; the fallback is the UTC time. */
export function slackAgo(date: Date | null): string {
  if (!date) return '-';
  return `<!date^${Math.floor(date.getTime() / 1000)}^{ago}|${utc(date)}>`;
}

/** A duration in words ("4.2 s", "3 min", "1 h 5 min"), or '-' when either end is missing. */
export function took(start: Date | null, end: Date | null): string {
  return start && end ? formatDuration(end.getTime() - start.getTime()) : '-';
}

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/** `<@U123>` for Slack users (each reader sees the name); anyone else (`cli:ana`, `deckhand:schedule`) as escaped text. */
export function who(actor: string): string {
  return SLACK_USER.test(actor) ? `<@${actor}>` : esc(actor);
}

/** A lock as people say it: "*web* is locked by @ana: 'rolling back bad migration'". */
export function lockedBy(app: string, lock: { lockedBy: string; reason: string; lockedAt?: Date }): string {
  return `*${esc(app)}* is locked by ${who(lock.lockedBy)}${lock.lockedAt ? ` since ${slackDate(lock.lockedAt)}` : ''}: '${esc(lock.reason)}'`;
}

/** A refusal: what happened, then the way out, then the code for people who search for it. */
export function refusal(what: string, wayOut: string, errorCode?: string): string {
  return `:no_entry: ${what} — ${wayOut}${errorCode ? ` (\`${esc(errorCode)}\`)` : ''}`;
}

/**
 * A refused deploy because of a lock, from the error's details: "web is locked by @ana: 'reason' —
 * `/deckhand unlock web` when ready". Undefined for any other error.
 */
export function lockRefusal(error: DeckhandError | unknown): string | undefined {
  const e = asDeckhandError(error);
  const { app, lockedBy: by, reason } = e.details as { app?: unknown; lockedBy?: unknown; reason?: unknown };
  if (e.code !== 'app_locked' || typeof app !== 'string' || typeof by !== 'string' || typeof reason !== 'string') return undefined;
  return refusal(lockedBy(app, { lockedBy: by, reason }), `\`/deckhand unlock ${esc(app)}\` when ready`, 'app_locked');
}

export const STATUS_EMOJI: Record<Deployment['status'], string> = {
  queued: ':hourglass:',
  building: ':hammer_and_wrench:',
  starting: ':rocket:',
  switching: ':twisted_rightwards_arrows:',
  watching: ':eyes:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  superseded: ':fast_forward:',
  reverted: ':leftwards_arrow_with_hook:',
  cancelled: ':no_entry_sign:',
};
