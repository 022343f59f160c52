import type { Figure } from '../support/context.js';
export const healthLateness: Figure = { title: 'health-lateness', async run() { return [{ figure: 'health-lateness', goal: '', notMeasured: 'todo' }]; } };
