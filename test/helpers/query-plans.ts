import { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { type Db, migrationsFolder } from '../../src/adapters/db/client.js';
import * as schema from '../../src/adapters/db/schema.js';
import { createTestDatabase } from './db.js';

export interface Issued {
  sql: string;
  params: unknown[];
}

/** A database whose drizzle handle records every statement the repositories send, exactly as sent. */
export interface PlanDatabase {
  db: Db;
  /** The statements issued while `run` ran. */
  capture(run: () => Promise<unknown>): Promise<Issued[]>;
  /** Runs SQL on one session (PREPARE/EXECUTE need the same one) and returns the rows. */
  raw(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

function recorder(): { logger: Logger; take(): Issued[] } {
  let issued: Issued[] = [];
  return {
    logger: { logQuery: (sql, params) => void issued.push({ sql, params }) },
    take: () => {
      const taken = issued;
      issued = [];
      return taken;
    },
  };
}

const capturing = (take: () => Issued[]) => async (run: () => Promise<unknown>) => {
  take();
  await run();
  return take();
};

/** A fresh Postgres database (test/helpers/db.ts, migrated), read and written through a recording drizzle handle. */
export async function postgresPlanDatabase(): Promise<PlanDatabase> {
  const test = await createTestDatabase('postgres');
  const { logger, take } = recorder();
  // max 1: PREPARE, SET and EXPLAIN EXECUTE share the session; the repositories' prepared statements live there too.
  const client = postgres(test.url!, { max: 1, onnotice: () => undefined });
  return {
    db: drizzlePostgres(client, { schema, logger }) as unknown as Db,
    capture: capturing(take),
    raw: async (text) => [...(await client.unsafe(text))] as Record<string, unknown>[],
    close: async () => {
      await client.end({ timeout: 1 });
      await test.drop();
    },
  };
}

/** An in-memory PGlite, migrated with deckhand's migrations, read and written through a recording drizzle handle. */
export async function pglitePlanDatabase(): Promise<PlanDatabase> {
  const client = new PGlite('memory://');
  const { logger, take } = recorder();
  const db = drizzlePglite(client, { schema, logger });
  await migrate(db, { migrationsFolder });
  take();
  return {
    db: db as unknown as Db,
    capture: capturing(take),
    raw: async (text) => {
      const results = await client.exec(text);
      return (results.at(-1)?.rows ?? []) as Record<string, unknown>[];
    },
    close: () => client.close(),
  };
}

export const APPS = 100;
export const IN_FLIGHT_STATUSES = ['building', 'starting', 'switching', 'watching'];

/**
 * `rows` deployments over APPS apps (`bk-app-<i % APPS>`), one INSERT ... SELECT per table: ids follow time; every
 * 10th failed, every 17th (not 10th) still queued, the rest succeeded; the last APPS rows are in flight, one per app.
 * Beside them: as many audit entries (a `deploy.abort` in 53), 1.5× as many deployment events, Slack requests of
 * the last 10 minutes (2% older than the prune cut), and rows enough in the small tables for the planner to choose.
 */
export function seedSql(rows: number): string {
  const side = Math.max(5_000, rows / 5);
  return `
    insert into deployments (app, status, source, trigger, actor, commit_sha, image_ref, finished_at, created_at)
    select 'bk-app-' || (i % ${APPS}),
      case when i > ${rows - APPS} then (array['${IN_FLIGHT_STATUSES.join("','")}'])[1 + i % 4]
           when i % 10 = 0 then 'failed' when i % 17 = 0 then 'queued' else 'succeeded' end,
      'git', 'cli', 'bk', md5(i::text), 'bk-app:' || i,
      case when i > ${rows - APPS} or (i % 17 = 0 and i % 10 <> 0) then null else now() - (${rows + 1} - i) * interval '1 second' end,
      now() - (${rows + 1} - i) * interval '1 second'
    from generate_series(1, ${rows}) as i;
    insert into audit_events (actor, action, app, deployment_id, result, at)
    select 'bk', case when i % 53 = 0 then 'deploy.abort' else (array['deploy.queue','deploy.start','deploy.finish'])[1 + i % 3] end,
      'bk-app-' || (i % ${APPS}), i, 'ok', now() - (${rows + 1} - i) * interval '1 second'
    from generate_series(1, ${rows}) as i;
    insert into deployment_events (deployment_id, kind, message, at)
    select 1 + i % ${rows}, 'log', 'line ' || i, now() from generate_series(1, ${Math.round(rows * 1.5)}) as i;
    insert into slack_requests (digest, request_at, received_at)
    select md5('bk' || i), now() - (i % 600) * interval '1 second' - case when i % 50 = 0 then interval '1 hour' else interval '0' end, now()
    from generate_series(1, ${side}) as i;
    insert into cards (nonce, app, target_id, requested_by, channel, facts, status, shown_at, expires_at)
    select 'bk-' || i, 'bk-app-' || (i % ${APPS}), i, 'U1', 'C1', '{}', case when i % 100 = 0 then 'open' else 'confirmed' end, now(), now() + (i % 7 - 3) * interval '1 minute'
    from generate_series(1, ${side}) as i;
    insert into approvals (app, kind, requested_by, channel, status, expires_at)
    select 'bk-app-' || (i % ${APPS}), 'deploy', 'U1', 'C1', case when i % 100 = 0 then 'pending' else 'approved' end, now() + (i % 7 - 3) * interval '1 minute'
    from generate_series(1, ${side}) as i;
    insert into locks (name, holder, acquired_at, expires_at) select 'app:bk-app-' || i, 'h', now(), now() + interval '1 minute' from generate_series(1, ${side}) as i;
    insert into app_locks (app, reason, locked_by, locked_at) select 'bk-app-' || i, 'r', 'U1', now() from generate_series(1, ${side}) as i;
    insert into pins (app, deployment_id, pinned_by, pinned_at) select 'bk-app-' || (i % ${APPS}), i, 'U1', now() from generate_series(1, ${side}) as i;
    analyze;`;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  /** Indexes the plan reads. */
  indexes: string[];
  /** Tables the plan reads whole. */
  seqScans: string[];
  text: string;
}

function walk(node: PlanNode, into: PlanSummary): void {
  if (node['Index Name']) into.indexes.push(node['Index Name']);
  if (node['Node Type'] === 'Seq Scan') into.seqScans.push(node['Relation Name'] ?? '?');
  for (const child of node.Plans ?? []) walk(child, into);
}

/** A parameter as an SQL literal for EXECUTE (the values the repositories bind: text, numbers, ISO times). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The plan Postgres makes for `issued` as a prepared statement: `custom` plans for the bound values (what an
 * unnamed statement always gets), `generic` plans for any value (what a named prepared statement may settle on
 * after five runs).
 */
export async function planOf(database: PlanDatabase, issued: Issued, mode: 'custom' | 'generic'): Promise<PlanSummary> {
  await database.raw(`prepare bk_plan as ${issued.sql}`);
  try {
    await database.raw(`set plan_cache_mode = force_${mode}_plan`);
    const args = issued.params.length ? `(${issued.params.map(literal).join(', ')})` : '';
    const [row] = await database.raw(`explain (format json) execute bk_plan${args}`);
    const value = row?.['QUERY PLAN'];
    const plan = (typeof value === 'string' ? JSON.parse(value) : value) as { Plan: PlanNode }[];
    const summary: PlanSummary = { indexes: [], seqScans: [], text: JSON.stringify(plan[0]!.Plan) };
    walk(plan[0]!.Plan, summary);
    return summary;
  } finally {
    await database.raw('deallocate bk_plan');
    await database.raw('reset plan_cache_mode');
  }
}
