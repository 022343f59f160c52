import type { Clock } from '../../src/domain/clock.js';

/** A clock that only moves when slept on: tests see exact waits without waiting. `slept` lists each wait. */
export function manualClock(start = 0): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return { slept, now: () => new Date(now), sleep: async (ms) => void (slept.push(ms), (now += ms)) };
}
