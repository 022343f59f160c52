import type { Clock } from '../clock.js';
import type { ContainerState, HealthProbe } from '../ports.js';

export interface HealthWaitOptions {
  url: string;
  timeoutMs: number;
  probe: HealthProbe;
  clock: Clock;
  /**
   * Why waiting is pointless (the container is gone, exited, or crash-looping), or undefined while it runs.
   * Asked after every attempt, so a crash ends the wait at once instead of at the timeout.
   */
  containerProblem: () => Promise<string | undefined>;
  onAttempt: (attempt: number, ok: boolean, detail: string) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export type HealthOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

const times = (n: number) => (n === 1 ? 'once' : `${n} times`);

/**
 * What the container's state says about a new container during its health window. A new container starts with
 * no restarts, so any restart means it crashed and the `unless-stopped` policy brought it back: a crash loop, not
 * a slow start.
 */
export function containerProblem(state: ContainerState | undefined): string | undefined {
  if (!state) return 'the container is gone';
  const exit = state.exitCode === null ? '' : ` with code ${state.exitCode}`;
  const restarts = state.restartCount ?? 0;
  if (state.status === 'restarting' || restarts > 0) return `the container is crash-looping (it exited${exit}; Docker restarted it ${times(restarts)})`;
  if (!state.running) return `the container exited${exit}`;
  return undefined;
}

/** Polls the health URL with exponential backoff until a 2xx, the timeout, or the container stops or crashes. */
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
    lastDetail = result.detail;
    const problem = await options.containerProblem();
    if (problem) {
      const when = result.ok ? `right after ${options.url} answered 2xx` : `before ${options.url} answered 2xx`;
      return { ok: false, attempts, reason: `${problem} ${when} (last: ${lastDetail})` };
    }
    if (result.ok) return { ok: true, attempts };
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
