import { defineConfig } from 'vitest/config';
import SwarmLaneSequencer from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites share one Docker engine and one Postgres server; two workers match the 2-core machines.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // The Swarm suites one after another on a lane of their own, without a worker idling on their lock.
    sequence: { sequencer: SwarmLaneSequencer },
  },
});
