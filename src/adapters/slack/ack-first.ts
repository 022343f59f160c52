import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';

/** Where a request's "I was acked" callback travels from the global middleware to its listener (Bolt's context). */
const ACKED = 'deckhandAcked';

/**
 * Acks first. Slack waits for every ack (3 s at most) and the person sees nothing until it comes; the work a handler
 * does after its ack (queries, rendering, the response_url post) runs on the same event loop, so in a burst of
 * commands it would delay the acks still queued behind it. Here that work waits while any other request still
 * waits for its ack, and never longer than `maxWaitMs`: a steady stream of requests cannot starve it.
 */
export class AckFirst {
  private waiting = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly maxWaitMs = 200) {}

  /** The first global middleware: counts the request until it is acked (or its processing ends without an ack). */
  readonly middleware: Middleware<AnyMiddlewareArgs> = async (args) => {
    const done = this.enter();
    args.context[ACKED] = done;
    try {
      await args.next();
    } finally {
      done();
    }
  };

  /** Says that the request of `context` was acked (its handler's own ack). */
  acked(context: Record<string, unknown>): void {
    (context[ACKED] as (() => void) | undefined)?.();
  }

  /** Resolves once no request waits for its ack, or after `maxWaitMs`. */
  quiet(): Promise<void> {
    if (this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.waiters.delete(go);
        resolve();
      };
      const timer = setTimeout(go, this.maxWaitMs);
      this.waiters.add(go);
    });
  }

  private enter(): () => void {
    this.waiting += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.waiting -= 1;
      if (this.waiting === 0) for (const go of [...this.waiters]) go();
    };
  }
}
