import type { Clock } from '../clock.js';
import type { HealthProbe } from '../ports.js';

export interface HealthWaitOptions {
  url: string;
  timeoutMs: number;
  probe: HealthProbe;
  clock: Clock;
  /** Resolves false when the container is gone or exited: no point waiting further. */
  stillRunning: () => Promise<boolean>;
  onAttempt: (attempt: number, ok: boolean, detail: string) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export type HealthOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

/** Polls the health URL with exponential backoff until a 2xx, the timeout, or the container stops. */
export async function waitForHealthy(options: HealthWaitOptions): Promise<HealthOutcome> {
  const { clock, timeoutMs } = options;
  const deadline = clock.now().getTime() + timeoutMs;
  let delay = options.initialDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 2000;
  let attempts = 0;
  let lastDetail = 'no attempt made';
  for (;;) {
    attempts += 1;
    const result = await options.probe.probe(options.url);
    options.onAttempt(attempts, result.ok, result.detail);
    if (result.ok) return { ok: true, attempts };
    lastDetail = result.detail;
    if (!(await options.stillRunning())) {
      return { ok: false, attempts, reason: `the container stopped before ${options.url} answered 2xx (last: ${lastDetail})` };
    }
    const remaining = deadline - clock.now().getTime();
    if (remaining <= 0) break;
    await clock.sleep(Math.min(delay, remaining));
    delay = Math.min(delay * 2, maxDelay);
  }
  return {
    ok: false,
    attempts,
    reason: `health check ${options.url} did not answer 2xx within ${Math.round(timeoutMs / 100) / 10}s (last: ${lastDetail})`,
  };
}
