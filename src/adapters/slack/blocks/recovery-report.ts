import { esc } from './text.js';

/** What the watchdog fixed, for the report channel: one escaped line per note (notes quote error messages). */
export function renderRecoveryReport(notes: string[]): { text: string } {
  return { text: `:rotating_light: deckhand made what runs and what is recorded agree again:\n${notes.map((note) => `• ${esc(note)}`).join('\n')}` };
}
