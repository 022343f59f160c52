import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { InFlightStatuses } from '../../domain/deployment.js';
import type { ApprovalPlan } from '../../domain/approvals/approval.js';
import type { PlanFacts } from '../../domain/approvals/plan-facts.js';

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Status conditions written as SQL literals, shared by the partial indexes below and the queries that use them
 * (deployment-queries.ts): a partial index serves a query only when the planner can prove the query's condition
 * implies the index's, which a bound parameter (`status = $2`) never does in a generic (prepared) plan.
 */
export const SUCCEEDED = sql.raw(`'succeeded'`);
export const IN_FLIGHT_LIST = sql.raw(
  InFlightStatuses.map((status) => {
    if (!/^[a-z_]+$/.test(status)) throw new Error(`unexpected deployment status ${status}`);
    return `'${status}'`;
  }).join(', '),
);

export const deployments = pgTable(
  'deployments',
  {
    /** Short integer users type in Slack: `/rollback web 41`. */
    id: serial('id').primaryKey(),
    app: text('app').notNull(),
    status: text('status').notNull(),
    source: text('source').notNull(),
    gitRef: text('git_ref'),
    commitSha: text('commit_sha'),
    commitSubject: text('commit_subject'),
    imageRef: text('image_ref'),
    imageId: text('image_id'),
    containerId: text('container_id'),
    upstreamPort: integer('upstream_port'),
    trigger: text('trigger').notNull(),
    actor: text('actor').notNull(),
    rollbackOf: integer('rollback_of'),
    rollbackSource: text('rollback_source'),
    /** Where the image was pushed (`registry/app:deploy-<id>`), when the app has a registry. */
    registryRef: text('registry_ref'),
    /** The app's env at deploy time as name -> salted hash; values are never stored. */
    envSnapshot: jsonb('env_snapshot').$type<{ salt: string; hashes: Record<string, string> }>(),
    errorCode: text('error_code'),
    error: text('error'),
    logTail: jsonb('log_tail').$type<string[]>(),
    createdAt: tz('created_at').notNull().defaultNow(),
    startedAt: tz('started_at'),
    finishedAt: tz('finished_at'),
  },
  (t) => [
    /** list(app, limit), all(app): newest first. */
    index('deployments_app_id_idx').on(t.app, t.id),
    /** current(app): the newest finished success, the first entry of this index for the app. */
    index('deployments_current_idx')
      .on(t.app, t.finishedAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.status} = ${SUCCEEDED} and ${t.finishedAt} is not null`),
    /** newerSucceeded(app, id): successes only, by id. */
    index('deployments_succeeded_idx').on(t.app, t.id).where(sql`${t.status} = ${SUCCEEDED}`),
    /** inFlight(app): a handful of rows at any time, whatever the history. */
    index('deployments_in_flight_idx').on(t.app, t.id).where(sql`${t.status} in (${IN_FLIGHT_LIST})`),
  ],
);

export const deploymentEvents = pgTable(
  'deployment_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deploymentId: integer('deployment_id')
      .notNull()
      .references(() => deployments.id, { onDelete: 'cascade' }),
    at: tz('at').notNull().defaultNow(),
    kind: text('kind').notNull(),
    message: text('message').notNull(),
    data: jsonb('data'),
  },
  (t) => [index('deployment_events_deployment_idx').on(t.deploymentId, t.id)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: tz('at').notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    app: text('app'),
    deploymentId: integer('deployment_id'),
    targetDeploymentId: integer('target_deployment_id'),
    result: text('result').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [
    /** list({ app }): an app's newest entries. */
    index('audit_events_app_id_idx').on(t.app, t.id),
    /** list({ app, action }): the abort poll (every 500 ms per running deploy) reads an app's newest `deploy.abort`. */
    index('audit_events_app_action_id_idx').on(t.app, t.action, t.id),
    /** list({ action }): one action across apps. */
    index('audit_events_action_id_idx').on(t.action, t.id),
  ],
);

/** Durable leases: one row per held mutex (`app:<name>`, `job:prune`, ...), taken over once expired. */
export const locks = pgTable('locks', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  acquiredAt: tz('acquired_at').notNull(),
  expiresAt: tz('expires_at').notNull(),
});

/** Operator locks: a locked app refuses forward deploys (not rollbacks) until unlocked. */
export const appLocks = pgTable('app_locks', {
  app: text('app').primaryKey(),
  reason: text('reason').notNull(),
  lockedBy: text('locked_by').notNull(),
  lockedAt: tz('locked_at').notNull(),
  /** The rollback deploy that set the lock, when a rollback did. */
  deploymentId: integer('deployment_id'),
});

/** Requests for approval of a deploy or rollback; the first valid decision wins (conditional update on status). */
export const approvals = pgTable(
  'approvals',
  {
    id: serial('id').primaryKey(),
    app: text('app').notNull(),
    kind: text('kind').notNull(),
    /** The queued deploy waiting for this approval (kind deploy). */
    deploymentId: integer('deployment_id'),
    /** The deploy to roll back to (kind rollback). */
    targetId: integer('target_id'),
    /** What ran when the request was made; a different current deploy makes the request stale. */
    baselineId: integer('baseline_id'),
    requestedBy: text('requested_by').notNull(),
    channel: text('channel').notNull(),
    /** Why, as the requester wrote it. */
    reason: text('reason'),
    /** What the request showed (commits, migrations, facts); re-planned when Approve finds it changed. */
    plan: jsonb('plan').$type<ApprovalPlan>(),
    messageTs: text('message_ts'),
    status: text('status').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: tz('decided_at'),
    expiresAt: tz('expires_at').notNull(),
    createdAt: tz('created_at').notNull().defaultNow(),
  },
  (t) => [
    /** pending(app). */
    index('approvals_app_status_idx').on(t.app, t.status),
    /** expireDue(now): the sweeper's pending requests past their time, oldest first. */
    index('approvals_status_expires_idx').on(t.status, t.expiresAt),
  ],
);

/** One row per button click that must take effect once (double clicks, retries, two people confirming). */
export const actionClaims = pgTable('action_claims', {
  key: text('key').primaryKey(),
  claimedBy: text('claimed_by').notNull(),
  claimedAt: tz('claimed_at').notNull(),
});

/** Rollback confirmation cards: what each showed and until when; Confirm, Cancel, expiry or a new plan closes it once. */
export const cards = pgTable(
  'cards',
  {
    nonce: text('nonce').primaryKey(),
    app: text('app').notNull(),
    targetId: integer('target_id').notNull(),
    requestedBy: text('requested_by').notNull(),
    channel: text('channel').notNull(),
    reason: text('reason'),
    responseUrl: text('response_url'),
    facts: jsonb('facts').$type<PlanFacts>().notNull(),
    status: text('status').notNull(),
    shownAt: tz('shown_at').notNull(),
    expiresAt: tz('expires_at').notNull(),
    closedBy: text('closed_by'),
    closedAt: tz('closed_at'),
  },
  (t) => [index('cards_status_expires_idx').on(t.status, t.expiresAt)],
);

/** Deploys whose images retention must keep, whatever the policy says. */
export const pins = pgTable(
  'pins',
  {
    app: text('app').notNull(),
    deploymentId: integer('deployment_id').notNull(),
    pinnedBy: text('pinned_by').notNull(),
    pinnedAt: tz('pinned_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.app, t.deploymentId] })],
);

/**
 * Signed Slack requests already acted on, by sha256 of (X-Slack-Request-Timestamp, raw body): a replay within
 * Slack's signature window finds its row and does nothing, whichever replica it reaches. Rows whose request time
 * is past the window are pruned.
 */
export const slackRequests = pgTable(
  'slack_requests',
  {
    digest: text('digest').primaryKey(),
    /** The request's X-Slack-Request-Timestamp. */
    requestAt: tz('request_at').notNull(),
    receivedAt: tz('received_at').notNull(),
  },
  (t) => [index('slack_requests_request_at_idx').on(t.requestAt)],
);
