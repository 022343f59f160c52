import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresMigrationHistory } from '../../src/adapters/db/migration-history.js';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const enabled = await havePostgres();

describe.skipIf(!enabled)('reading applied migrations from the tables of common tools', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let sql: postgres.Sql;
  let url: string;
  const since = new Date('2026-06-01T00:00:00Z');
  const before = new Date('2026-05-01T00:00:00Z');
  const after = new Date('2026-07-01T00:00:00Z');
  const history = new PostgresMigrationHistory();

  beforeAll(async () => {
    scratch = await createScratchDatabase('deckhand_mig');
    url = scratch.url;
    sql = postgres(url, { max: 1, onnotice: () => undefined });
    // The shapes these tools create.
    await sql.unsafe(`
      create table _prisma_migrations (id varchar(36) primary key, checksum varchar(64) not null, finished_at timestamptz, migration_name varchar(255) not null,
        logs text, rolled_back_at timestamptz, started_at timestamptz not null default now(), applied_steps_count integer not null default 0);
      create table knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz);
      create table flyway_schema_history (installed_rank int primary key, version varchar(50), description varchar(200) not null, type varchar(20) not null,
        script varchar(1000) not null, checksum int, installed_by varchar(100) not null, installed_on timestamp not null default now(), execution_time int not null, success boolean not null);
      create table __drizzle_migrations (id serial primary key, hash text not null, created_at bigint);`);
    await sql`insert into _prisma_migrations (id, checksum, finished_at, migration_name) values ('1', 'c', ${before}, '20260501_init'), ('2', 'c', ${after}, '20260701_add_orders')`;
    await sql`insert into _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at) values ('3', 'c', ${after}, '20260702_rolled_back', ${after})`;
    await sql`insert into knex_migrations (name, batch, migration_time) values ('001_init.js', 1, ${before}), ('002_orders.js', 2, ${after})`;
    await sql`insert into flyway_schema_history values (1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'x', ${before}, 1, true), (2, '2', 'orders', 'SQL', 'V2__orders.sql', 1, 'x', ${after}, 1, true), (3, '3', 'broken', 'SQL', 'V3__broken.sql', 1, 'x', ${after}, 1, false)`;
    await sql`insert into __drizzle_migrations (hash, created_at) values ('aaa', ${before.getTime()}), ('bbb', ${after.getTime()})`;
  });

  afterAll(async () => {
    await sql?.end();
    await scratch?.drop();
  });

  it.each([
    ['_prisma_migrations', /^20260701_add_orders \(applied 2026-07-01/],
    ['knex_migrations', /^002_orders\.js \(applied 2026-07-01/],
    ['flyway_schema_history', /^2 orders \(V2__orders\.sql\) \(applied /],
    ['__drizzle_migrations', /^drizzle migration bbb \(applied 2026-07-01/],
    ['public.__drizzle_migrations', /^drizzle migration bbb/],
  ])('%s: only successful migrations applied after the target deploy', async (table, expected) => {
    expect(await history.appliedSince({ url, table }, since)).toEqual([expect.stringMatching(expected)]);
  });

  it('finds nothing when the table is absent, and refuses unknown tables', async () => {
    expect(await history.appliedSince({ url, table: 'other.knex_migrations' }, since)).toEqual([]);
    await expect(history.appliedSince({ url, table: 'schema_migrations' }, since)).rejects.toMatchObject({ code: 'config_invalid' });
  });
});
