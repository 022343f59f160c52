import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrizzleAppLockStore } from '../../src/adapters/db/app-locks-repo.js';
import { DrizzleApprovalStore } from '../../src/adapters/db/approvals-repo.js';
import { DrizzleAuditStore } from '../../src/adapters/db/audit-repo.js';
import { DrizzleCardStore } from '../../src/adapters/db/cards-repo.js';
import { DrizzleDeploymentStore } from '../../src/adapters/db/deployments-repo.js';
import { DrizzleDeploymentEventStore } from '../../src/adapters/db/events-repo.js';
import { DrizzleLeaseStore } from '../../src/adapters/db/locks-repo.js';
import { DrizzlePinStore } from '../../src/adapters/db/pins-repo.js';
import { DrizzleSlackRequestLog } from '../../src/adapters/db/slack-requests-repo.js';
import { ABORT_ACTION } from '../../src/domain/deploy/abort.js';
import { InFlightStatuses } from '../../src/domain/deployment.js';
import { havePostgres } from '../helpers/infra.js';
import { IN_FLIGHT_STATUSES, type PlanDatabase, pglitePlanDatabase, planOf, postgresPlanDatabase, seedSql } from '../helpers/query-plans.js';

type Repos = ReturnType<typeof reposOf>;
const reposOf = (database: PlanDatabase) => ({
  store: new DrizzleDeploymentStore(database.db),
  audit: new DrizzleAuditStore(database.db),
  events: new DrizzleDeploymentEventStore(database.db),
  slack: new DrizzleSlackRequestLog(database.db),
  cards: new DrizzleCardStore(database.db),
  approvals: new DrizzleApprovalStore(database.db),
  leases: new DrizzleLeaseStore(database.db),
  appLocks: new DrizzleAppLockStore(database.db),
  pins: new DrizzlePinStore(database.db),
});

const APP = 'bk-app-7';
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** Each hot query as the code issues it, and the index it must be served by. Prepared ones must hold for any value. */
const HOT: { name: string; run(repos: Repos): Promise<unknown>; index: string; prepared: boolean }[] = [
  { name: 'current(app): /deploys, status, every deploy and rollback', run: (r) => r.store.current(APP), index: 'deployments_current_idx', prepared: true },
  { name: 'list(app, limit): /deploys, deckhand deploys', run: (r) => r.store.list(APP, 20), index: 'deployments_app_id_idx', prepared: true },
  { name: 'newerSucceeded(app, id): forward-only check', run: (r) => r.store.newerSucceeded(APP, 90_007), index: 'deployments_succeeded_idx', prepared: true },
  { name: 'inFlight(app): deploy_in_progress, plans, recovery', run: (r) => r.store.inFlight(APP), index: 'deployments_in_flight_idx', prepared: true },
  { name: 'all(app): retention, previous target', run: (r) => r.store.all(APP), index: 'deployments_app_id_idx', prepared: true },
  { name: 'get(id)', run: (r) => r.store.get(4_242), index: 'deployments_pkey', prepared: true },
  { name: 'audit list(app, deploy.abort): the abort poll', run: (r) => r.audit.list({ app: APP, action: ABORT_ACTION, limit: 20 }), index: 'audit_events_app_action_id_idx', prepared: true },
  { name: 'audit list(app): deckhand audit', run: (r) => r.audit.list({ app: APP, limit: 50 }), index: 'audit_events_app_id_idx', prepared: true },
  { name: 'events of a deployment', run: (r) => r.events.list(4_242), index: 'deployment_events_deployment_idx', prepared: true },
  { name: 'approvals pending(app)', run: (r) => r.approvals.pending(APP), index: 'approvals_app_status_idx', prepared: true },
  { name: 'app lock get(app)', run: (r) => r.appLocks.get(APP), index: 'app_locks_pkey', prepared: true },
  { name: 'Slack replay ledger prune', run: (r) => r.slack.prune(minutesAgo(15)), index: 'slack_requests_request_at_idx', prepared: false },
  { name: 'cards expireDue (sweeper)', run: (r) => r.cards.expireDue(new Date(), 50), index: 'cards_status_expires_idx', prepared: false },
  { name: 'card get(nonce)', run: (r) => r.cards.get('bk-4242'), index: 'cards_pkey', prepared: false },
  { name: 'approvals expireDue (sweeper)', run: (r) => r.approvals.expireDue(new Date(), 50), index: 'approvals_status_expires_idx', prepared: false },
  { name: 'lease holder(name)', run: (r) => r.leases.holder('app:bk-app-42'), index: 'locks_pkey', prepared: false },
  { name: 'lease renew', run: (r) => r.leases.renew('app:bk-app-42', 'h', new Date(Date.now() + 60_000)), index: 'locks_pkey', prepared: false },
  { name: 'pins list(app): retention', run: (r) => r.pins.list(APP), index: 'pins_app_deployment_id_pk', prepared: false },
];

const targets: { kind: string; rows: number; open(): Promise<PlanDatabase> }[] = [
  ...((await havePostgres()) ? [{ kind: 'postgres', rows: 100_000, open: postgresPlanDatabase }] : []),
  { kind: 'pglite', rows: 100_000, open: pglitePlanDatabase },
];

it('the in-flight partial index lists exactly the in-flight statuses', () => {
  expect(IN_FLIGHT_STATUSES).toEqual([...InFlightStatuses]);
});

describe.each(targets)('hot queries at $rows deployments on $kind', ({ rows, open }) => {
  let database: PlanDatabase;
  let repos: Repos;
  beforeAll(async () => {
    database = await open();
    await database.raw(seedSql(rows));
    repos = reposOf(database);
  }, 240_000);
  afterAll(() => database?.close());

  it.each(HOT)('$name uses $index, never a Seq Scan', async ({ run, index, prepared }) => {
    const issued = await database.capture(() => run(repos));
    expect(issued).toHaveLength(1);
    for (const mode of prepared ? (['custom', 'generic'] as const) : (['custom'] as const)) {
      const plan = await planOf(database, issued[0]!, mode);
      expect({ mode, seqScans: plan.seqScans, plan: plan.text }).toMatchObject({ mode, seqScans: [] });
      expect(plan.indexes, `${mode} plan: ${plan.text}`).toContain(index);
    }
  });

  it('the hot reads answer what the data says at this size', async () => {
    const [expected] = await database.raw(`
      select (select max(id) from deployments where app = '${APP}' and status = 'succeeded' and finished_at is not null) as current,
             (select array_agg(id order by id desc) from deployments where app = '${APP}' and status in ('building','starting','switching','watching')) as in_flight,
             (select count(*)::int from deployments where app = '${APP}') as total,
             (select min(id) from deployments where app = '${APP}' and status = 'succeeded' and id > 90007 and id = (select max(id) from deployments where app = '${APP}' and status = 'succeeded')) as newer`);
    expect((await repos.store.current(APP))?.id).toBe(expected!.current);
    expect((await repos.store.inFlight(APP)).map((d) => d.id)).toEqual(expected!.in_flight);
    expect(await repos.store.all(APP)).toHaveLength(expected!.total as number);
    expect((await repos.store.newerSucceeded(APP, 90_007))?.id).toBe(expected!.newer);
    const listed = await repos.store.list(APP, 20);
    expect(listed.map((d) => d.id)).toEqual([...listed.map((d) => d.id)].sort((a, b) => b - a));
    expect(listed).toHaveLength(20);
    const aborts = await repos.audit.list({ app: APP, action: ABORT_ACTION, limit: 20 });
    expect(aborts.length).toBeGreaterThan(0);
    expect(aborts.every((a) => a.action === ABORT_ACTION && a.app === APP)).toBe(true);
  });
});
