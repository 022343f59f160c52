import type { Figure } from '../support/context.js';
export const cliWallTime: Figure = { title: 'cli-wall-time', async run() { return [{ figure: 'cli-wall-time', goal: '', notMeasured: 'todo' }]; } };
