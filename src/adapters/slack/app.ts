import { App, type LogLevel, type RespondFn } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { DrizzleApprovalStore, DrizzleClaimStore } from '../db/approvals-repo.js';
import { DrizzleCardStore } from '../db/cards-repo.js';
import { CARD_EXPIRY_MS } from '../../domain/approvals/card.js';
import { DrizzleSlackRequestLog } from '../db/slack-requests-repo.js';
import { databaseReachable } from '../db/health.js';
import type { Services } from '../../compose.js';
import { Authorizer } from '../../domain/access/authorizer.js';
import { ApprovalService } from '../../domain/approvals/approval-service.js';
import { type Clock, systemClock } from '../../domain/clock.js';
import { approvalDecisionAction, refreshApprovalMessage } from './actions/approval-decision.js';
import { rollbackCancelAction, rollbackConfirmAction } from './actions/rollback-confirm.js';
import { rollbackOpenAction } from './actions/rollback-open.js';
import { APPROVE, DENY } from './blocks/approval.js';
import { ROLLBACK_OPEN } from './blocks/deploy-list.js';
import { ROLLBACK_CANCEL, ROLLBACK_CONFIRM } from './blocks/rollback-confirmation.js';
import { deckhandCommand } from './commands/deckhand.js';
import { readsOnly } from './commands/deckhand-status.js';
import { deployCommand } from './commands/deploy.js';
import { deploysCommand } from './commands/deploys.js';
import { rollbackCommand } from './commands/rollback.js';
import { type SlackContext, inBackground } from './context.js';
import { errorText } from './handler-kit.js';
import { asDeckhandError } from '../../domain/errors.js';
import { SlackGroupDirectory } from './group-directory.js';
import { replayGuard, withSignedRequestGuard } from './replay-guard.js';
import { SlackGateway } from './slack-gateway.js';
import { OUTBOX_CLIENT_OPTIONS, pacedAt } from './outbox.js';
import { RETRY_DEPLOY, SHOW_LOG } from './failure-story.js';
import { ABORT_DEPLOY } from './blocks/abort.js';
import { abortDeployAction } from './actions/abort-deploy.js';
import { AckFirst } from './ack-first.js';
import { HALTED, actOnce, failureAnswer } from './act-once.js';
import { boundedRespond, responseUrlOf } from './respond.js';
import { retryDeployAction, showLogAction } from './failure-actions.js';

export interface SlackSettings {
  botToken: string;
  /** HTTP mode. */
  signingSecret?: string;
  /** Socket Mode. */
  appToken?: string;
  /** Web API base URL override (tests, proxies). */
  apiUrl?: string;
  logLevel?: LogLevel;
  clock?: Clock;
  /**
   * Progress coalescing interval (default 3 s), and the gap between new messages in a channel (default 1.1 s; given,
   * it also bounds the gap between updates of one message, 1.2 s by default).
   */
  streamIntervalMs?: number;
  messageGapMs?: number;
  /** How long a rollback card stays valid (default 15 min). */
  cardExpiryMs?: number;
  /** How long one Slack message is retried (429s, 5xx) before the person is told through response_url (default 10 min). */
  slackDeadlineMs?: number;
  /** Verify the token with auth.test at start (default true). */
  verifyToken?: boolean;
}

export interface SlackBot {
  app: App;
  context: SlackContext;
  /** Resolves when the work started after acks (deploys, rollbacks) has finished. */
  idle(): Promise<void>;
}

/**
 * The Bolt app: HTTP mode (`/slack/events`, `/healthz`) or Socket Mode, with every deckhand listener. In HTTP mode
 * a signed request acts once (see replay-guard.ts).
 */
export function createSlackBot(services: Services, settings: SlackSettings): SlackBot {
  const socketMode = Boolean(settings.appToken);
  const gate = new AckFirst();
  const app = new App(withSignedRequestGuard({
    token: settings.botToken,
    signingSecret: settings.signingSecret,
    appToken: settings.appToken,
    socketMode,
    logLevel: settings.logLevel,
    tokenVerificationEnabled: settings.verifyToken ?? true,
    // Bolt's conversation store is unused here, and its default one rejects every lookup with a new Error (a stack
    // trace per request, on the ack path of every command and click).
    convoStore: false,
    clientOptions: settings.apiUrl ? { slackApiUrl: settings.apiUrl } : undefined,
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        // 503 while the database is away (the bot keeps running and reconnects by itself), within 2 s.
        handler: (_req, res) => {
          void databaseReachable(services.database, 2000).then((up) => {
            res.writeHead(up ? 200 : 503, { 'content-type': 'application/json' });
            res.end(JSON.stringify(up ? { ok: true } : { ok: false, status: 'degraded', database: 'unavailable' }));
          });
        },
      },
    ],
  }, gate));
  const clock = settings.clock ?? systemClock;
  const authorizer = new Authorizer(new SlackGroupDirectory(app.client), clock);
  const context: SlackContext = {
    services,
    authorizer,
    approvals: new ApprovalService({ approvals: new DrizzleApprovalStore(services.database.db), authorizer, store: services.store, audit: services.audit, clock }),
    claims: new DrizzleClaimStore(services.database.db),
    cards: new DrizzleCardStore(services.database.db),
    cardExpiryMs: settings.cardExpiryMs ?? CARD_EXPIRY_MS,
    // Its own client: the outbox, not the client, waits out 429s and retries, so nothing waits unbounded.
    gateway: new SlackGateway(new WebClient(settings.botToken, { ...OUTBOX_CLIENT_OPTIONS, slackApiUrl: settings.apiUrl, logLevel: settings.logLevel }), {
      // A given gap also paces the updates of one message (pacedAt), as the gateway's number form does.
      ...(settings.messageGapMs === undefined ? {} : pacedAt(settings.messageGapMs)),
      ...(settings.slackDeadlineMs ? { deadlineMs: settings.slackDeadlineMs } : {}),
    }),
    clock,
    streamIntervalMs: settings.streamIntervalMs ?? 3000,
    background: new Set(),
  };
  registerListeners(app, context, gate);
  return {
    app,
    context,
    idle: async () => {
      while (context.background.size > 0) await Promise.allSettled([...context.background]);
    },
  };
}

type TrackedArgs = { ack: (...args: never[]) => Promise<void>; respond?: RespondFn; context: Record<string, unknown>; body?: unknown };

/**
 * Keeps each handler's run in ctx.background: the work after the ack is awaited on shutdown (and by tests). The ack
 * goes out at once; what the handler does after it waits for the ledger's verdict (a replay or an unrecorded request
 * goes no further: act-once.ts) and for the other requests' acks (ack-first.ts). Every listener is registered
 * through here, and each acks before it acts. Its `respond` is bounded in time (respond.ts). A handler that throws
 * (the database is away, say) still answers the person, ephemerally, with errorText.
 */
function tracked<A extends TrackedArgs>(ctx: SlackContext, gate: AckFirst, handler: (args: A) => Promise<void>, readsOnly?: (args: A) => boolean): (args: A) => Promise<void> {
  return (incoming) => {
    const url = responseUrlOf(incoming.body);
    const args = url ? { ...incoming, respond: boundedRespond(url) } : incoming;
    let acked = false;
    const ack = (async (...rest: never[]) => {
      acked = true;
      await args.ack(...rest);
      gate.acked(args.context);
      await actOnce(args.context, args.respond, readsOnly?.(incoming) ?? false);
      await gate.quiet();
    }) as A['ack'];
    const run = handler({ ...args, ack }).catch((error: unknown) => (error === HALTED ? undefined : answerFailure(args, acked, error)));
    ctx.background.add(run);
    void run.finally(() => ctx.background.delete(run)).catch(() => undefined);
    return run;
  };
}

async function answerFailure(args: TrackedArgs, acked: boolean, error: unknown): Promise<void> {
  const text = errorText(error);
  console.error(`deckhand: Slack handler failed: ${text}`);
  try {
    if (!acked) await args.ack();
  } catch (answerError) {
    console.error(`deckhand: could not answer a failed Slack request: ${asDeckhandError(answerError).message}`);
  }
  await failureAnswer(args.context, args.respond, text);
}

export function registerListeners(app: App, ctx: SlackContext, gate = new AckFirst()): void {
  const track = <A extends TrackedArgs>(handler: (args: A) => Promise<void>, readsOnly?: (args: A) => boolean) => tracked(ctx, gate, handler, readsOnly);
  app.use(gate.middleware);
  // First, before any listener: a signed request is recorded, and a replay goes no further than its ack.
  app.use(replayGuard(new DrizzleSlackRequestLog(ctx.services.database.acks ?? ctx.services.database.db)));
  app.command('/deploys', track(deploysCommand(ctx), () => true)); // reads only: runs even when the ledger cannot record it
  app.command('/deploy', track(deployCommand(ctx)));
  app.command('/rollback', track(rollbackCommand(ctx)));
  app.command('/deckhand', track(deckhandCommand(ctx), ({ command }) => readsOnly(command.text)));
  app.action(ROLLBACK_OPEN, track(rollbackOpenAction(ctx)));
  app.action(ROLLBACK_CONFIRM, track(rollbackConfirmAction(ctx)));
  app.action(ROLLBACK_CANCEL, track(rollbackCancelAction(ctx)));
  app.action(APPROVE, track(approvalDecisionAction(ctx, 'approved')));
  app.action(DENY, track(approvalDecisionAction(ctx, 'denied')));
  app.action(SHOW_LOG, track(showLogAction(ctx)));
  app.action(RETRY_DEPLOY, track(retryDeployAction(ctx)));
  app.action(ABORT_DEPLOY, track(abortDeployAction(ctx)));
  // Any successful deploy makes older pending requests of that app stale: edit them to "superseded".
  ctx.services.bus.subscribe((event) => {
    if (event.type !== 'result' || event.status !== 'succeeded') return;
    inBackground(ctx, async () => {
      for (const approval of await ctx.approvals.supersedeStale(event.app)) {
        if (approval.kind === 'deploy' && approval.deploymentId) await ctx.services.deploys.cancelQueued(approval.deploymentId, 'superseded', 'deckhand');
        await refreshApprovalMessage(ctx, approval);
      }
    });
  });
  app.error(async (error) => {
    console.error(`deckhand: Slack handler failed: ${asDeckhandError(error).code}: ${asDeckhandError(error).message}`);
  });
}
