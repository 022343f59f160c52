import { asDeckhandError } from '../../domain/errors.js';
import type { Services } from '../../compose.js';
import type { Authorizer } from '../../domain/access/authorizer.js';
import type { ClaimStore } from '../../domain/approvals/approval.js';
import type { CardStore } from '../../domain/approvals/card.js';
import type { ApprovalService } from '../../domain/approvals/approval-service.js';
import type { Clock } from '../../domain/clock.js';
import type { SlackGateway } from './slack-gateway.js';

/** Everything a Slack handler may call: domain services and the paced Slack gateway. */
export interface SlackContext {
  services: Services;
  approvals: ApprovalService;
  authorizer: Authorizer;
  claims: ClaimStore;
  /** Rollback cards shown, and how long one stays valid. */
  cards: CardStore;
  cardExpiryMs: number;
  gateway: SlackGateway;
  clock: Clock;
  /** Coalescing interval of progress updates. */
  streamIntervalMs: number;
  /** Work started after an ack (deploys, rollbacks): tests and shutdown wait for it. */
  background: Set<Promise<unknown>>;
}

/** Runs work after the ack without losing its errors, tracked so shutdown and tests can wait for it. */
export function inBackground(ctx: SlackContext, work: () => Promise<unknown>): void {
  const task = work().catch((error) => console.error(`deckhand: background Slack task failed: ${asDeckhandError(error).code}: ${asDeckhandError(error).message}`));
  ctx.background.add(task);
  void task.finally(() => ctx.background.delete(task));
}
