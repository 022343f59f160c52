import { type DeckhandError, asDeckhandError } from '../../domain/errors.js';
import type { AckFirst } from './ack-first.js';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AnyMiddlewareArgs, type AppOptions, type BufferedIncomingMessage, HTTPReceiver, type Middleware } from '@slack/bolt';

/** Bolt refuses signatures older than this; a request is only replayable inside it. */
export const SIGNATURE_WINDOW_S = 5 * 60;
/** How far ahead of our clock a request timestamp may be (Slack's and our clocks are both NTP-synced). */
export const MAX_FUTURE_S = 60;
/** Rows are kept this much longer than the window, for replicas whose clocks differ a little. */
const PRUNE_MARGIN_S = 5 * 60;
const PRUNE_EVERY_MS = 60_000;

/** Where acted-on requests are remembered (the database, so every replica agrees). */
export interface RequestLedger {
  record(digest: string, requestAt: Date, receivedAt: Date): Promise<boolean>;
  prune(before: Date): Promise<number>;
}

/** Carried from the receiver to the middleware in Bolt's context (a custom property). */
export interface SignedRequest {
  timestamp: number;
  /** sha256 of `<X-Slack-Request-Timestamp>:<raw body>`: exactly what Slack signed. */
  digest: string;
}

const CONTEXT_KEY = 'deckhandSignedRequest';

/** Reads the signed part of a request Bolt has buffered and verified. */
export function signedRequestOf(request: BufferedIncomingMessage): Record<string, SignedRequest> {
  const timestamp = request.headers['x-slack-request-timestamp'];
  if (typeof timestamp !== 'string' || !Buffer.isBuffer(request.rawBody)) return {};
  const digest = createHash('sha256').update(`${timestamp}:`).update(request.rawBody).digest('hex');
  return { [CONTEXT_KEY]: { timestamp: Number(timestamp), digest } };
}

/** True when a request says it was signed more than MAX_FUTURE_S from now: refused before Bolt reads it. */
export function fromTheFuture(request: IncomingMessage, nowMs: number): boolean {
  const header = request.headers['x-slack-request-timestamp'];
  const timestamp = typeof header === 'string' ? Number(header) : Number.NaN;
  return Number.isFinite(timestamp) && timestamp > Math.floor(nowMs / 1000) + MAX_FUTURE_S;
}

/**
 * App options for HTTP mode with Bolt's HTTPReceiver built here: it passes each verified request's digest to
 * the middleware, and answers 401 to a timestamp more than a minute ahead (Bolt itself only refuses old ones).
 * With `gate`, each request counts for acks-first from its arrival (see AckFirst.httpListener).
 * Socket Mode options are returned unchanged: its events come over an authenticated socket, not signed HTTP.
 */
export function withSignedRequestGuard(options: AppOptions, gate?: AckFirst, now: () => number = Date.now): AppOptions {
  if (options.socketMode || options.receiver) return options;
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret ?? '',
    customRoutes: options.customRoutes,
    logger: options.logger,
    logLevel: options.logLevel,
    processBeforeResponse: options.processBeforeResponse,
    customPropertiesExtractor: signedRequestOf,
  });
  const listener = gate ? gate.httpListener(receiver.requestListener) : receiver.requestListener;
  receiver.requestListener = (request: IncomingMessage, response: ServerResponse) => {
    if (!fromTheFuture(request, now())) return listener(request, response);
    response.writeHead(401);
    response.end();
  };
  return { ...options, receiver };
}

/** What the ledger said of a request: new, a replay, or nothing (it could not be written). */
export type Verdict = 'first' | 'replay' | 'unrecorded';

const VERDICT_KEY = 'deckhandRequestVerdict';
const UNRECORDED_KEY = 'deckhandRequestUnrecorded';

/** Why the ledger could not record the request of `context` (replayGuard), once its verdict is 'unrecorded'. */
export function unrecordedReason(context: Record<string, unknown>): DeckhandError | undefined {
  return context[UNRECORDED_KEY] as DeckhandError | undefined;
}

/** The ledger's verdict on the request of `context` (replayGuard); 'first' for one that is not signed HTTP (Socket Mode). */
export function verdictOf(context: Record<string, unknown>): Promise<Verdict> {
  return (context[VERDICT_KEY] as Promise<Verdict> | undefined) ?? Promise.resolve('first');
}

/**
 * The first global middleware: a signed request is acted on once. Its digest goes to the ledger, and the listener
 * runs meanwhile up to its ack, which acts on nothing: an empty ack, or a usage text computed from the request
 * alone. What the listener does after its ack waits for the ledger's verdict (app.ts, `tracked`): a replay (same
 * timestamp and body, which is all a signature covers) goes no further, and if the ledger cannot be written
 * nothing runs either (acting without it could act twice) and the person is told so. The ack, which Slack and the
 * person wait for, does not wait for a database round trip.
 */
export function replayGuard(ledger: RequestLedger, now: () => number = Date.now): Middleware<AnyMiddlewareArgs> {
  let lastPrune = 0;
  return async (args) => {
    const signed = args.context[CONTEXT_KEY] as SignedRequest | undefined;
    if (!signed) return args.next();
    const nowMs = now();
    const verdict: Promise<Verdict> = ledger.record(signed.digest, new Date(signed.timestamp * 1000), new Date(nowMs)).then(
      (first) => {
        if (!first) args.logger.warn(`deckhand: ignored a replayed Slack request (timestamp ${signed.timestamp}, digest ${signed.digest.slice(0, 12)})`);
        return first ? 'first' : 'replay';
      },
      (error: unknown) => {
        const reason = asDeckhandError(error);
        args.context[UNRECORDED_KEY] = reason;
        args.logger.error(`deckhand: cannot record a Slack request, so it was not acted on: ${reason.message}`);
        return 'unrecorded';
      },
    );
    args.context[VERDICT_KEY] = verdict;
    if (nowMs - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = nowMs;
      ledger.prune(new Date(nowMs - (SIGNATURE_WINDOW_S + MAX_FUTURE_S + PRUNE_MARGIN_S) * 1000)).catch((error) => args.logger.warn(`deckhand: pruning old Slack requests failed: ${asDeckhandError(error).message}`));
    }
    await args.next();
  };
}
