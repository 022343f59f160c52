import { and, desc, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { IN_FLIGHT_LIST, SUCCEEDED, deployments } from './schema.js';

/**
 * The deployment reads on the hot paths (every slash command, card, deploy and abort poll), built once per
 * database handle and reused: drizzle renders each SQL text once, and on Postgres postgres.js keeps each as a named
 * prepared statement per connection, so the server parses and plans it once too. Through the embedded store's
 * socket (client `prepare: false`) and on PGlite itself they run as unnamed statements of the same text.
 *
 * Status conditions are SQL literals, not parameters: the partial indexes in schema.ts (checked by
 * test/integration/query-plans.test.ts) serve a prepared statement's generic plan only when the planner can see
 * the value.
 */
export function deploymentQueries(db: Db) {
  const app = sql.placeholder('app');
  return {
    list: db.select().from(deployments).where(eq(deployments.app, app)).orderBy(desc(deployments.id)).limit(sql.placeholder('limit')).prepare('deployments_list'),
    all: db.select().from(deployments).where(eq(deployments.app, app)).orderBy(desc(deployments.id)).prepare('deployments_all'),
    get: db.select().from(deployments).where(eq(deployments.id, sql.placeholder('id'))).prepare('deployments_get'),
    current: db
      .select()
      .from(deployments)
      .where(and(eq(deployments.app, app), sql`${deployments.status} = ${SUCCEEDED}`, isNotNull(deployments.finishedAt)))
      .orderBy(desc(deployments.finishedAt), desc(deployments.id))
      .limit(1)
      .prepare('deployments_current'),
    newerSucceeded: db
      .select()
      .from(deployments)
      .where(and(eq(deployments.app, app), sql`${deployments.status} = ${SUCCEEDED}`, gt(deployments.id, sql.placeholder('id'))))
      .orderBy(desc(deployments.id))
      .limit(1)
      .prepare('deployments_newer_succeeded'),
    inFlight: db
      .select()
      .from(deployments)
      .where(and(eq(deployments.app, app), sql`${deployments.status} in (${IN_FLIGHT_LIST})`))
      .orderBy(desc(deployments.id))
      .prepare('deployments_in_flight'),
  };
}
