import type { Figure } from '../support/context.js';
export const rebuildRollback: Figure = { title: 'rebuild-rollback', async run() { return [{ figure: 'rebuild-rollback', goal: '', notMeasured: 'todo' }]; } };
