import type { Deployment } from '../../domain/deployment.js';
import type { Message } from './slack-gateway.js';

/** What one deployment's progress stream is about, and where it reports (progress-streamer.ts). */
export interface StreamOptions {
  channel: string;
  app: string;
  /** What is happening, for the parent message: "Deploying `main` to web". */
  title: string;
  kind: 'deploy' | 'rollback';
  rollbackTarget?: number;
  /** How often the coalesced log reply and the status block may be updated. */
  intervalMs?: number;
  /** Full log kept for the failure upload. */
  maxLogLines?: number;
  /**
   * The app's redactor, applied to everything from outside deckhand (log lines, health details, phase and
   * error messages, the uploaded log) before it is escaped and sent: secrets are hidden wherever they occur.
   */
  redact?: (text: string) => string;
  /**
   * The person's response_url: when the channel refuses deckhand (not_in_channel, archived, any Slack error),
   * the cause, the fix, the progress and the result reach them here instead. Slack allows 5 uses in 30 min.
   */
  respond?: (message: Message) => Promise<unknown>;
  /** What serves now and the deploy a rollback would go to, for a failure's story and its buttons. */
  lookups?: { serving(): Promise<Deployment | undefined>; previousTarget(): Promise<number | undefined> };
  /** The ref as typed, for "Retry". */
  ref?: string;
  /** A deployment known before it runs (an approved queued deploy): its first event opens the thread. */
  deploymentId?: number;
  /**
   * When an earlier update of the parent got no answer (it may still land at Slack, late), the final update is sent
   * again this long after it, so that it stays the last one (default 30 s: twice the Web API call timeout).
   */
  finalResendMs?: number;
}
