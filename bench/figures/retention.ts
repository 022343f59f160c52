import type { Figure } from '../support/context.js';
export const retention: Figure = { title: 'retention', async run() { return [{ figure: 'retention', goal: '', notMeasured: 'todo' }]; } };
