import type { Figure } from '../support/context.js';
export const slackAcks: Figure = { title: 'slack-acks', async run() { return [{ figure: 'slack-acks', goal: '', notMeasured: 'todo' }]; } };
