import type { Clock } from './clock.js';

/** The waits between attempts of a write that must land: about 15 s in all before giving up. */
export const RECORD_RETRY_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000];

/** Runs `task`, and again after each wait in `delaysMs` while it throws; the last error is thrown. */
export async function retrying<T>(task: () => Promise<T>, clock: Clock, delaysMs: readonly number[] = RECORD_RETRY_MS): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await task();
    } catch (error) {
      const wait = delaysMs[attempt];
      if (wait === undefined) throw error;
      await clock.sleep(wait);
    }
  }
}
