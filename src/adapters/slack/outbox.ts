import type { WebClientOptions } from '@slack/web-api';

/**
 * Options for the WebClient the outbox drives: the client neither retries nor waits out a 429 by itself, so the
 * outbox alone decides (and bounds) how long a message may wait. Each call has its own timeout.
 */
export const OUTBOX_CLIENT_OPTIONS: WebClientOptions = { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 15_000 };

export interface OutboxOptions {
  /** Gap between two new messages (posts, uploads) in one channel; Slack allows about one per second. */
  gapMs: number;
  /** Gap between two `chat.update` calls in one channel (chat.update is Tier 3: about 50 a minute). */
  updateGapMs: number;
  /** How long one message is retried before it is given up (rate limits, 5xx, network errors). */
  deadlineMs: number;
  /** Waits between attempts after a 5xx or a network error (the last one repeats). */
  backoffMs: readonly number[];
}

export const DEFAULT_OUTBOX: OutboxOptions = { gapMs: 1100, updateGapMs: 1200, deadlineMs: 10 * 60_000, backoffMs: [500, 1000, 2000, 4000, 8000, 15_000] };

/** Pacing at `gapMs` between new messages; updates of one message at that gap too, never further apart than by default. */
export function pacedAt(gapMs: number): Pick<OutboxOptions, 'gapMs' | 'updateGapMs'> {
  return { gapMs, updateGapMs: Math.min(gapMs, DEFAULT_OUTBOX.updateGapMs) };
}

/** Slack answered and will answer the same again: retrying cannot help (not_in_channel, is_archived …). */
export class SlackRefusal extends Error {
  constructor(
    readonly slackError: string,
    readonly channel: string,
    options?: { cause?: unknown },
  ) {
    super(`Slack refused a message to ${channel}: ${slackError}`, options);
    this.name = 'SlackRefusal';
  }
}

/** Slack's answer to an update of a message someone deleted: the message is gone, the channel itself is fine. */
export const isDeletedMessage = (error: unknown): boolean => error instanceof SlackRefusal && error.slackError === 'message_not_found';

/** Slack did not accept a message before its deadline. */
export class SlackTimedOut extends Error {
  constructor(
    readonly lastError: string,
    readonly channel: string,
    readonly waitedMs: number,
  ) {
    super(`Slack did not accept a message to ${channel} within ${Math.round(waitedMs / 1000)} s (${lastError})`);
    this.name = 'SlackTimedOut';
  }
}

/** Platform errors that mean "try again later" rather than "no". */
const TRANSIENT_PLATFORM = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

type Verdict = { kind: 'wait'; ms: number; why: string } | { kind: 'retry'; why: string } | { kind: 'refused'; why: string };

/** What a failed Web API call means for the outbox: wait (429), retry (5xx, network), or stop (a refusal). */
export function classify(error: unknown): Verdict {
  const e = (error ?? {}) as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return { kind: 'wait', ms: Math.max(1, e.retryAfter ?? 1) * 1000, why: 'rate limited' };
    case 'slack_webapi_http_error':
      return (e.statusCode ?? 0) >= 500 || e.statusCode === 408 ? { kind: 'retry', why: `HTTP ${e.statusCode}` } : { kind: 'refused', why: `HTTP ${e.statusCode}` };
    case 'slack_webapi_request_error':
      return { kind: 'retry', why: 'network error' };
    case 'slack_webapi_platform_error': {
      const why = e.data?.error ?? 'unknown_error';
      return TRANSIENT_PLATFORM.has(why) ? { kind: 'retry', why } : { kind: 'refused', why };
    }
    default:
      // A client that retries by itself (tests) gives up with a plain error: that is a refusal, not a reason to spin.
      return { kind: 'refused', why: e.code ?? 'error' };
  }
}


/**
 * Per-channel queues of Slack Web API calls. New messages in a channel leave one at a time, at least `gapMs`
 * apart; updates have their own lane and gap. A 429 is waited out for its Retry-After (the lane waits with it),
 * a 5xx or network error is retried with backoff, both until the message's deadline; a refusal ends at once
 * with a SlackRefusal. Nothing here is awaited by a deploy: callers that must not wait fire and forget.
 */
export class Outbox {
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly nextAt = new Map<string, number>();
  private readonly sleepers = new Set<() => void>();
  private closing = false;

  constructor(readonly options: OutboxOptions = DEFAULT_OUTBOX) {}

  /**
   * For shutdown: from now on every message gets one attempt and no retry, and messages waiting out a 429 or a
   * backoff give up at once, so waiting for the outbox is bounded by one call's timeout.
   */
  close(): void {
    this.closing = true;
    for (const wake of this.sleepers) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  send<T>(lane: 'post' | 'update', channel: string, call: () => Promise<T>): Promise<T> {
    const key = `${lane}:${channel}`;
    const queuedAt = Date.now();
    const previous = this.lanes.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.attempt(key, lane, channel, call, queuedAt));
    this.lanes.set(key, next.catch(() => undefined));
    return next;
  }

  private async attempt<T>(key: string, lane: 'post' | 'update', channel: string, call: () => Promise<T>, queuedAt: number): Promise<T> {
    const gap = lane === 'post' ? this.options.gapMs : this.options.updateGapMs;
    for (let failures = 0; ; failures += 1) {
      const wait = (this.nextAt.get(key) ?? 0) - Date.now();
      if (wait > 0 && !this.closing) await this.sleep(wait);
      if (this.closing && failures > 0) throw new SlackTimedOut('deckhand is shutting down', channel, Date.now() - queuedAt);
      let verdict: Verdict;
      try {
        const result = await call();
        this.nextAt.set(key, Date.now() + gap);
        return result;
      } catch (error) {
        verdict = classify(error);
        if (verdict.kind === 'refused') {
          this.nextAt.set(key, Date.now() + gap);
          throw new SlackRefusal(verdict.why, channel, { cause: error });
        }
        const pause = verdict.kind === 'wait' ? verdict.ms : this.options.backoffMs[Math.min(failures, this.options.backoffMs.length - 1)]!;
        const waited = Date.now() - queuedAt;
        if (waited + pause > this.options.deadlineMs || this.closing) throw new SlackTimedOut(verdict.why, channel, waited);
        this.nextAt.set(key, Math.max(Date.now() + pause, Date.now() + gap));
      }
    }
  }
}
