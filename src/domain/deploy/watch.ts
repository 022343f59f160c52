import type { Clock } from '../clock.js';
import type { HealthProbe, ResponseCounts } from '../ports.js';

/** When the watch window sends traffic back (issue 11: 3 failed probes in a row, an exit, or over 5% 5xx of ≥ 20 requests). */
export interface WatchRules {
  failedProbes: number;
  errorRatio: number;
  minRequests: number;
}

export const DEFAULT_WATCH_RULES: WatchRules = { failedProbes: 3, errorRatio: 0.05, minRequests: 20 };

export interface WatchOptions {
  /** The health URL deckhand probes; absent with `probe` when the runtime judges health itself (state only). */
  url?: string;
  windowMs: number;
  clock: Clock;
  probe?: HealthProbe;
  /** Why the container cannot serve (exited, gone, restarted by its policy), or undefined while it runs. */
  containerProblem: () => Promise<string | undefined>;
  /** The app's responses so far by the proxy's own count; null when unknown (no proxy, or it did not answer). */
  responses?: () => Promise<ResponseCounts | null>;
  signal?: AbortSignal;
  rules?: WatchRules;
  onProbe?: (ok: boolean, detail: string) => void;
  /** Called about every `countdownEveryMs` with the time left. */
  onCountdown?: (remainingMs: number) => void;
  intervalMs?: number;
  countdownEveryMs?: number;
}

export type WatchFailure = 'probes' | 'exited' | 'errors' | 'aborted';

export type WatchOutcome =
  | { ok: true; probes: number }
  | { ok: false; kind: WatchFailure; reason: string; /** The last probe results, oldest first, for the evidence. */ lastProbes: string[] };

const EVIDENCE_PROBES = 5;

/**
 * Watches a container that just took traffic: probes its health path every second (unless the runtime judges health
 * itself: then its state only) and asks its state, and reads the
 * proxy's 5xx count, until the window has passed (ok) or a failure rule fires (or the signal aborts). The caller
 * decides what to do about it; this only looks.
 */
export async function watchWindow(options: WatchOptions): Promise<WatchOutcome> {
  const { clock, signal } = options;
  const rules = options.rules ?? DEFAULT_WATCH_RULES;
  const interval = options.intervalMs ?? 1000;
  const countdownEvery = options.countdownEveryMs ?? 10_000;
  const start = clock.now().getTime();
  const deadline = start + options.windowMs;
  const baseline = await counts(options);
  const lastProbes: string[] = [];
  let failedInRow = 0;
  let probes = 0;
  let nextCountdown = start + countdownEvery;
  const aborted = (): WatchOutcome => ({ ok: false, kind: 'aborted', reason: 'the deploy was aborted during its watch window', lastProbes: [...lastProbes] });

  for (;;) {
    if (signal?.aborted) return aborted();
    let last = '';
    if (options.probe && options.url) {
      const result = await options.probe.probe(options.url);
      options.onProbe?.(result.ok, result.detail);
      const at = new Date(clock.now()).toISOString().slice(11, 19);
      lastProbes.push(`${at} ${options.url}: ${result.ok ? 'ok' : 'failed'} (${result.detail})`);
      if (lastProbes.length > EVIDENCE_PROBES) lastProbes.shift();
      failedInRow = result.ok ? 0 : failedInRow + 1;
      last = result.detail;
    }
    probes += 1;
    if (signal?.aborted) return aborted();

    const problem = await options.containerProblem();
    if (problem) return { ok: false, kind: 'exited', reason: `${problem} during the watch window`, lastProbes: [...lastProbes] };
    if (failedInRow >= rules.failedProbes) {
      return { ok: false, kind: 'probes', reason: `${failedInRow} health probes in a row failed during the watch window (last: ${last})`, lastProbes: [...lastProbes] };
    }
    const errors = errorRule(baseline, await counts(options), rules);
    if (errors) return { ok: false, kind: 'errors', reason: errors, lastProbes: [...lastProbes] };

    const now = clock.now().getTime();
    if (now >= deadline) return { ok: true, probes };
    if (now >= nextCountdown) {
      options.onCountdown?.(deadline - now);
      nextCountdown += countdownEvery;
    }
    await sleepUnlessAborted(clock, Math.min(interval, deadline - now), signal);
  }
}

/** The 5xx rule over what the proxy answered since the window opened, or undefined when it does not fire. */
export function errorRule(baseline: ResponseCounts | null, now: ResponseCounts | null, rules: WatchRules = DEFAULT_WATCH_RULES): string | undefined {
  if (!baseline || !now) return undefined;
  const total = now.total - baseline.total;
  const errors = now.errors - baseline.errors;
  // A counter that went down means the proxy restarted: the window's numbers are lost, so nothing can be concluded.
  if (total < rules.minRequests || errors < 0) return undefined;
  if (errors / total <= rules.errorRatio) return undefined;
  const percent = Math.round((errors / total) * 1000) / 10;
  return `${errors} of ${total} requests (${percent}%) answered 5xx during the watch window (the limit is ${rules.errorRatio * 100}% of at least ${rules.minRequests})`;
}

async function counts(options: WatchOptions): Promise<ResponseCounts | null> {
  if (!options.responses) return null;
  return options.responses().catch(() => null);
}

function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return clock.sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done);
    void clock.sleep(ms).then(done);
  });
}
