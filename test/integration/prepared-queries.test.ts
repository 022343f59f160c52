import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/adapters/db/client.js';
import { DrizzleDeploymentStore } from '../../src/adapters/db/deployments-repo.js';
import { DrizzleAuditStore } from '../../src/adapters/db/audit-repo.js';
import { type TestDatabase, createTestDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const base = { source: 'git' as const, trigger: 'cli' as const, actor: 'bk' };
type Row = Record<string, unknown>;
const rowsOf = (result: unknown): Row[] => (Array.isArray(result) ? result : ((result as { rows: Row[] }).rows ?? []));

async function seed(store: DrizzleDeploymentStore, app: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const { id } = await store.create({ ...base, app, status: 'building' });
    ids.push((await store.update(id, { status: 'succeeded', finishedAt: new Date(Date.now() - (count - i) * 1000) })).id);
  }
  return ids;
}

describe.runIf(await havePostgres())('hot reads on Postgres (the bot\'s own client)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(() => database?.drop());

  it('are named prepared statements, parsed once per connection and reused by every later call', async () => {
    const store = new DrizzleDeploymentStore(database.db);
    const ids = await seed(store, 'bk-prep-a', 3);
    // Sequential calls run on one pooled connection, the same one that then reads its own prepared statements.
    for (let i = 0; i < 7; i++) expect((await store.current('bk-prep-a'))?.id).toBe(ids.at(-1));
    for (let i = 0; i < 3; i++) expect((await store.list('bk-prep-a', 2)).map((d) => d.id)).toEqual([ids[2], ids[1]]);
    const prepared = rowsOf(await database.db.execute(sql`select statement, (generic_plans + custom_plans)::int as runs from pg_prepared_statements`));
    const current = prepared.filter((row) => String(row.statement).includes('order by "deployments"."finished_at" desc'));
    const list = prepared.filter((row) => /where "deployments"."app" = \$1 order by "deployments"."id" desc limit \$2/.test(String(row.statement)));
    expect(current.map((row) => row.runs)).toEqual([7]);
    expect(list.map((row) => row.runs)).toEqual([3]);
  });

  it('a second store on the same handle reuses the statements already prepared there', async () => {
    const audit = new DrizzleAuditStore(database.db);
    await audit.record({ actor: 'bk', action: 'deploy.abort', app: 'bk-prep-a', result: 'ok', deploymentId: 1 });
    for (let i = 0; i < 2; i++) expect(await new DrizzleAuditStore(database.db).list({ app: 'bk-prep-a', action: 'deploy.abort', limit: 20 })).toHaveLength(1);
    const prepared = rowsOf(await database.db.execute(sql`select (generic_plans + custom_plans)::int as runs from pg_prepared_statements where statement like '%from "audit_events" where%"action" = $2%'`));
    expect(prepared.map((row) => row.runs)).toEqual([2]);
  });
});

describe('hot reads through the embedded store\'s socket', () => {
  const root = mkdtempSync(join(tmpdir(), 'bk-prep-'));
  const dbDir = join(root, 'db');
  let owner: Database;
  let client: Database;
  beforeAll(async () => {
    owner = await openDatabase({ dataDir: dbDir });
    // The owner lock is held: this second handle is a socket client of the owner, as a CLI beside the bot is.
    client = await openDatabase({ dataDir: dbDir });
  });
  afterAll(async () => {
    await client?.close();
    await owner?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const preparedInSession = async () => rowsOf(await owner.db.execute(sql`select name from pg_prepared_statements`)).length;

  it('answer correctly interleaved with the owner\'s, and leave no statement behind in the one shared session', async () => {
    const mine = new DrizzleDeploymentStore(owner.db);
    const theirs = new DrizzleDeploymentStore(client.db);
    expect(client.db).not.toBe(owner.db);
    const a = await seed(mine, 'bk-sock-a', 4);
    const b = await seed(theirs, 'bk-sock-b', 4);
    expect(await preparedInSession()).toBe(0);
    const checks: Array<Promise<boolean>> = [];
    for (let i = 0; i < 60; i++) {
      const [store, app, ids] = i % 2 ? ([theirs, 'bk-sock-a', a] as const) : ([mine, 'bk-sock-b', b] as const);
      checks.push(store.current(app).then((d) => d?.id === ids.at(-1)));
      checks.push(store.list(app, 2).then((rows) => rows.map((d) => d.id).join() === [ids[3], ids[2]].join()));
      checks.push(store.newerSucceeded(app, ids[0]!).then((d) => d?.id === ids.at(-1)));
      checks.push(store.inFlight(app).then((rows) => rows.length === 0));
    }
    const outcomes = await Promise.allSettled(checks);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected' || outcome.value !== true)).toEqual([]);
    expect(await preparedInSession()).toBe(0);
  });
});
