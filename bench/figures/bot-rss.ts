import type { Figure } from '../support/context.js';
export const botRss: Figure = { title: 'bot-rss', async run() { return [{ figure: 'bot-rss', goal: '', notMeasured: 'todo' }]; } };
