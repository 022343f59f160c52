import type { AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import type { ContainerState, HealthProbe, Runtime } from '../ports.js';
import { healthJudge } from '../runtime-health.js';

export interface HealthWaitOptions {
  url: string;
  timeoutMs: number;
  probe: HealthProbe;
  clock: Clock;
  /**
   * Why waiting is pointless (the container is gone, exited, or crash-looping), or undefined while it runs. Asked
   * after the first attempt, after a 2xx, and after a failed attempt once `stateIntervalMs` passed since it was last
   * asked, so a crash ends the wait at once instead of at the timeout.
   */
  containerProblem: () => Promise<string | undefined>;
  onAttempt: (attempt: number, ok: boolean, detail: string) => void;
  /** The tight interval of the first `fastWindowMs` (default 5 ms): detection is at most this late after a first 2xx. */
  fastIntervalMs?: number;
  /** How often the container's state is asked while its health path fails (default 25 ms). */
  stateIntervalMs?: number;
  /** How long the tight interval lasts from the first attempt (default 2 s): most apps answer within it. */
  fastWindowMs?: number;
  /** The cap of the backoff after the fast window (default 1 s), which starts at twice `fastIntervalMs` and doubles. */
  maxDelayMs?: number;
}

/**
 * 5 ms for the first 2 s, then 50 ms: a probe of 127.0.0.1 that is refused costs well under a millisecond, so a
 * first 2xx is seen within 5 ms (it was 25 ms: 12 ms late on average, on the critical path of every switch), and an
 * app that takes 3 s to start is not seen a second late. The container's state (a Docker call) is asked every 25 ms
 * meanwhile, not at every probe: the engine is not asked 200 times a second while it starts the container.
 */
export const HEALTH_POLL = { fastIntervalMs: 5, fastWindowMs: 2000, maxDelayMs: 50, stateIntervalMs: 25 } as const;

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

/**
 * Polls the health URL until a 2xx, the timeout, or the container stops or crashes: every 5 ms for the first 2 s
 * (so an app that starts fast is seen within one interval of its first 2xx), then every 50 ms (HEALTH_POLL).
 * Intervals run from the start of one attempt to the start of the next: a slow probe does not stretch them.
 */
export async function waitForHealthy(options: HealthWaitOptions): Promise<HealthOutcome> {
  const { clock, timeoutMs } = options;
  const fastInterval = options.fastIntervalMs ?? HEALTH_POLL.fastIntervalMs;
  const fastWindow = options.fastWindowMs ?? HEALTH_POLL.fastWindowMs;
  const maxDelay = options.maxDelayMs ?? HEALTH_POLL.maxDelayMs;
  const stateInterval = options.stateIntervalMs ?? HEALTH_POLL.stateIntervalMs;
  const start = clock.now().getTime();
  let stateAskedAt: number | undefined;
  const deadline = start + timeoutMs;
  let backoff = fastInterval;
  let attempts = 0;
  let lastDetail = 'no attempt made';
  /** Some attempt reached a listener (anything but a refused connection). */
  let reached = false;
  for (;;) {
    const attemptAt = clock.now().getTime();
    attempts += 1;
    const result = await options.probe.probe(options.url);
    options.onAttempt(attempts, result.ok, result.detail);
    lastDetail = result.detail;
    reached ||= result.detail !== 'ECONNREFUSED';
    // After a 2xx always: a container that answered once and crashed must not be switched to.
    const askState = result.ok || stateAskedAt === undefined || clock.now().getTime() - stateAskedAt >= stateInterval;
    if (askState) stateAskedAt = clock.now().getTime();
    const problem = askState ? await options.containerProblem() : undefined;
    if (problem) {
      const when = result.ok ? `right after ${options.url} answered 2xx` : `before ${options.url} answered 2xx`;
      return { ok: false, attempts, reason: `${problem} ${when} (last: ${lastDetail})` };
    }
    if (result.ok) return { ok: true, attempts };
    const now = clock.now().getTime();
    const remaining = deadline - now;
    if (remaining <= 0) break;
    let interval = fastInterval;
    if (attemptAt - start >= fastWindow) {
      backoff = Math.min(backoff * 2, maxDelay);
      interval = backoff;
    }
    const wait = Math.min(attemptAt + interval - now, remaining);
    if (wait > 0) await clock.sleep(wait);
  }
  return {
    ok: false,
    attempts,
    reason: `health check ${options.url} did not answer 2xx within ${Math.round(timeoutMs / 100) / 10}s (last: ${lastDetail})${healthHint(options.url, reached, lastDetail)}`,
  };
}

/** What a health timeout most likely means, when its attempts say it: never a listener, or a health path not there. */
export function healthHint(url: string, reached: boolean, lastDetail: string): string {
  const { port, pathname } = new URL(url);
  if (!reached) return `. Nothing ever listened on port ${port}: the app must listen on the port deckhand passes in $PORT (${port}), on 127.0.0.1 or 0.0.0.0 (containers share the host's network).`;
  if (lastDetail === 'HTTP 404') return `. The app answers, but not at ${pathname}: set run.health to a path that answers 2xx once the app is ready.`;
  return '';
}

/**
 * Whether a container started again (a previous release brought back by an undo or by recovery) answers its health
 * path within the app's health timeout: judged by a cluster runtime itself, else probed on 127.0.0.1. Only whether it
 * runs counts against it: a long-lived container that the restart policy once brought back is not crash-looping.
 */
export async function answersAgain(deps: { runtime: Runtime; health: HealthProbe; clock: Clock }, app: AppSpec, containerId: string, port: number): Promise<HealthOutcome> {
  const { runtime } = deps;
  const judge = healthJudge(runtime, app.name);
  if (judge) {
    const judged = await judge(containerId, { timeoutMs: app.run.healthTimeoutMs, onAttempt: () => undefined });
    return judged.ok ? { ok: true, attempts: 1 } : { ok: false, attempts: 1, reason: judged.reason };
  }
  return waitForHealthy({
    url: `http://127.0.0.1:${port}${app.run.health}`,
    timeoutMs: app.run.healthTimeoutMs,
    probe: deps.health,
    clock: deps.clock,
    containerProblem: async () => ((await runtime.inspectContainer(containerId))?.running ? undefined : 'the container is not running'),
    onAttempt: () => undefined,
  });
}
