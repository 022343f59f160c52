import type { AppLock } from '../../../domain/ports.js';
import { esc, lockedBy, slackDate, who } from './common.js';

/** Posted in the channel when someone locks an app. */
export function renderLocked(app: string, lock: AppLock): { response_type: 'in_channel'; text: string } {
  return { response_type: 'in_channel', text: `:lock: ${lockedBy(app, lock)}. Forward deploys are refused until \`/deckhand unlock ${esc(app)}\`; rollbacks still work.` };
}

/** Posted in the channel when someone unlocks an app: what the lock was, and who had set it. */
export function renderUnlocked(app: string, by: string, removed: AppLock): { response_type: 'in_channel'; text: string } {
  return { response_type: 'in_channel', text: `:unlock: ${who(by)} unlocked *${esc(app)}* (was: ${esc(removed.reason)}). It was locked by ${who(removed.lockedBy)} ${slackDate(removed.lockedAt)}; deploys are open again.` };
}
