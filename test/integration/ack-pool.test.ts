import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/adapters/db/client.js';
import { DrizzleSlackRequestLog } from '../../src/adapters/db/slack-requests-repo.js';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const enabled = await havePostgres();

/** A burst of slash commands fills the main pool with reads; the ack path writes its ledger row on a pool of its own. */
describe.skipIf(!enabled)('the Slack ack path does not queue behind the main pool', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let database: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase('ackpool');
    database = await openDatabase({ url: scratch.url, dataDir: 'unused' });
  });
  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });

  /** Occupies every connection of the main pool (10) with a query that sleeps; resolves when they are all done. */
  const saturate = () => Promise.all(Array.from({ length: 10 }, () => database.db.execute(sql`select pg_sleep(1.5)`)));

  it('a ledger write on the ack pool lands while the main pool is busy; on the main pool it waits for it', async () => {
    expect(database.acks).toBeDefined();
    let busy = true;
    const sleeping = saturate().then(() => (busy = false));
    // Let the sleeps take their connections first.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await new DrizzleSlackRequestLog(database.acks!).record('ack-pool-1', new Date(), new Date())).toBe(true);
    expect(busy).toBe(true);
    await sleeping;

    // On the main pool the write waits until one of the sleeps gave its connection back (not necessarily the last).
    let freed = false;
    const sleeps = Array.from({ length: 10 }, () => database.db.execute(sql`select pg_sleep(1.5)`).then(() => (freed = true)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await new DrizzleSlackRequestLog(database.db).record('ack-pool-2', new Date(), new Date())).toBe(true);
    expect(freed).toBe(true);
    await Promise.all(sleeps);
    // One ledger: both rows are there whichever pool wrote them.
    expect(await new DrizzleSlackRequestLog(database.db).record('ack-pool-1', new Date(), new Date())).toBe(false);
  }, 30_000);
});
