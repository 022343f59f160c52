import type { Figure } from '../support/context.js';
export const streamer: Figure = { title: 'streamer', async run() { return [{ figure: 'streamer', goal: '', notMeasured: 'todo' }]; } };
