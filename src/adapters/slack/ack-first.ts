import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where a request's "I was acked" callback travels from the global middleware to its listener (Bolt's context). */
const ACKED = 'deckhandAcked';

/**
 * Acks first. Slack waits for every ack (3 s at most) and the person sees nothing until it comes; the work a handler
 * does after its ack (queries, rendering, the response_url post) runs on the same event loop, so in a burst of
 * commands it would delay the acks still queued behind it. Here that work waits while any other request still
 * waits for its ack, and never longer than `maxWaitMs`: a steady stream of requests cannot starve it. Over HTTP a
 * request counts from its arrival (`httpListener`), before Bolt has read and verified it: a burst's later requests are
 * still being parsed when the first ones are acked, and would otherwise wait behind the first ones' work. Inside a
 * burst (the last two requests came less than `settleMs` apart) the work also waits until none has arrived for
 * `settleMs`: a burst's requests come over some milliseconds, and a moment with none waiting is not its end. A lone
 * request (a Confirm click) never waits for that.
 */
export class AckFirst {
  private waiting = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private previousArrival = Number.NEGATIVE_INFINITY;
  private settling: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  /** Set once requests are counted at their HTTP arrival: Bolt's middleware then only counts, it does not arrive again. */
  private arrivesOverHttp = false;

  constructor(private readonly maxWaitMs = 200, private readonly settleMs = 10) {}

  /** The first global middleware: counts the request until it is acked (or its processing ends without an ack). */
  readonly middleware: Middleware<AnyMiddlewareArgs> = async (args) => {
    // Over HTTP the request arrived already (httpListener): a second arrival a few ms after the first would make
    // every lone request look like a burst of two, and hold its work for `settleMs`.
    const done = this.enter(!this.arrivesOverHttp);
    args.context[ACKED] = done;
    try {
      await args.next();
    } finally {
      done();
    }
  };

  /**
   * Wraps an HTTP request listener: each POST (what Slack sends) counts as waiting until its response is finished or
   * its socket closed. Other requests (the health route) are not waited for.
   */
  httpListener(listener: (request: IncomingMessage, response: ServerResponse) => void): (request: IncomingMessage, response: ServerResponse) => void {
    this.arrivesOverHttp = true;
    return (request, response) => {
      if (request.method !== 'POST') return listener(request, response);
      const done = this.enter(true);
      response.once('finish', done);
      response.once('close', done);
      listener(request, response);
    };
  }

  /** Says that the request of `context` was acked (its handler's own ack). */
  acked(context: Record<string, unknown>): void {
    (context[ACKED] as (() => void) | undefined)?.();
  }

  /** Resolves once no request waits for its ack and a burst has settled, or after `maxWaitMs`. */
  quiet(): Promise<void> {
    if (this.waiting === 0 && this.settleLeft() <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.waiters.delete(go);
        resolve();
      };
      const timer = setTimeout(go, this.maxWaitMs);
      this.waiters.add(go);
      this.settle();
    });
  }

  private enter(arrives: boolean): () => void {
    this.waiting += 1;
    if (arrives) {
      this.previousArrival = this.lastArrival;
      this.lastArrival = performance.now();
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.waiting -= 1;
      this.settle();
    };
  }

  /** How long a burst still has to be quiet before its work goes (0 or less: now; never positive outside a burst). */
  private settleLeft(): number {
    if (this.lastArrival - this.previousArrival >= this.settleMs) return 0;
    return this.settleMs - (performance.now() - this.lastArrival);
  }

  /** Lets the waiting work go once nothing waits and a burst has settled (checked again until then). */
  private settle(): void {
    if (this.waiting > 0 || this.waiters.size === 0 || this.settling) return;
    const left = this.settleLeft();
    if (left <= 0) {
      for (const go of [...this.waiters]) go();
      return;
    }
    this.settling = setTimeout(() => {
      this.settling = undefined;
      this.settle();
    }, Math.ceil(left));
  }
}
