import type { Figure } from '../support/context.js';
export const botConfirm: Figure = { title: 'bot-confirm', async run() { return [{ figure: 'bot-confirm', goal: '', notMeasured: 'todo' }]; } };
