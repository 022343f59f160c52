import type { Figure } from '../support/context.js';
export const parallelApps: Figure = { title: 'parallel-apps', async run() { return [{ figure: 'parallel-apps', goal: '', notMeasured: 'todo' }]; } };
