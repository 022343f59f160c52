import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/adapters/db/client.js';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres, postgresUrl } from '../helpers/infra.js';

/**
 * A command's reads run side by side (a rollback's plan asks for its target and what runs at once, then the lock and
 * the deploys in flight). The CLI opens the pool's connections together with its first query, so that none of those
 * reads waits for a connection's handshake mid-command (it paid two such waits per rollback). The bot's pool grows
 * as queries need it.
 */
describe.skipIf(!(await havePostgres()))('the Postgres pool opens its connections with the first query when asked (the CLI)', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let admin: postgres.Sql;
  let database: Database | undefined;
  let name: string;
  const backends = async (idle = false) =>
    (await admin`select pid, state from pg_stat_activity where datname = ${name} and backend_type = 'client backend'`)
      .filter((row) => !idle || row.state === 'idle') // idle: done with its first query, so the pool has it ready
      .map((row) => Number(row.pid))
      .sort();

  beforeAll(async () => {
    scratch = await createScratchDatabase('e_pool_warm');
    name = new URL(scratch.url).pathname.slice(1);
    admin = postgres(postgresUrl, { max: 1, onnotice: () => undefined });
    await (await openDatabase({ url: scratch.url, dataDir: 'unused' })).close(); // migrated: as every command finds it
  });
  afterAll(async () => {
    await database?.close();
    await admin?.end({ timeout: 1 });
    await scratch?.drop();
  });

  it('four connections are open once the store is, and four reads side by side open no other', async () => {
    expect(await backends()).toEqual([]);
    database = await openDatabase({ url: scratch.url, dataDir: 'unused', connections: 4 });
    let open: number[] = [];
    for (let i = 0; i < 200 && open.length < 4; i += 1) {
      open = await backends(true);
      if (open.length < 4) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(open).toHaveLength(4);
    // The server shows a backend idle once it has sent "ready for query"; the pool takes the connection back when it
    // has read that message, which may be a turn of the event loop after the admin's answer above. Let it read.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reads = await Promise.all(Array.from({ length: 4 }, () => database!.db.execute(sql`select pg_backend_pid() as pid, pg_sleep(0.2)`)));
    const used = reads.map((rows) => Number((rows as unknown as Array<{ pid: number }>)[0]!.pid)).sort();
    expect(new Set(used).size).toBe(4);
    expect(used).toEqual(open);
    expect(await backends()).toEqual(open);
  });

  it('by default (the bot) the pool opens one connection, and more only as queries need them', async () => {
    await database?.close();
    database = undefined;
    for (let i = 0; i < 100 && (await backends()).length > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    database = await openDatabase({ url: scratch.url, dataDir: 'unused' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // what a warm-up would have opened by now
    expect(await backends()).toHaveLength(1);
  });
});
