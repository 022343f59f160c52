import { sql } from 'drizzle-orm';
import type { Database } from './client.js';

/** Whether the database answers `select 1` within `timeoutMs`. Never throws, never waits longer. */
export async function databaseReachable(database: Database, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([database.db.execute(sql`select 1`).then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
