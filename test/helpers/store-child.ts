/**
 * A child process for the store-owner fault tests (run with `node --import tsx`). One JSON line on stdout per step.
 *   acquire <lockPath> <goFile>      wait for <goFile>, race for the owner lock; a winner holds it until SIGTERM
 *   open <dbDir>                     open the store (owner or through the owner); hold until SIGTERM, then close
 *   contend <dbDir> <tag> <n>        open, then race n lease acquisitions and n deployment inserts; close
 */
import { existsSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../src/adapters/db/client.js';
import { acquireOwnerLock } from '../../src/adapters/db/store-owner.js';
import { isDeckhandError } from '../../src/domain/errors.js';
import { contend } from './store-contend.js';

const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const untilTerm = () =>
  new Promise<void>((resolve) => {
    const alive = setInterval(() => undefined, 60_000);
    process.once('SIGTERM', () => {
      clearInterval(alive);
      resolve();
    });
  });
const [mode, target, ...rest] = process.argv.slice(2);

async function main(): Promise<void> {
  if (mode === 'acquire') {
    say({ waiting: process.pid });
    while (!existsSync(rest[0]!)) await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await acquireOwnerLock(target!, '/nonexistent.sock');
    say({ pid: process.pid, owned: result.owned });
    if (result.owned) {
      await untilTerm();
      result.release();
    }
    return;
  }
  try {
    const database = await openDatabase({ dataDir: target! });
    const role = (await database.db.execute(sql`select 1`)) && database.kind;
    if (mode === 'open') {
      say({ pid: process.pid, open: role });
      await untilTerm();
    } else {
      say({ pid: process.pid, ...(await contend(database.db, rest[0]!, Number(rest[1]))) });
    }
    await database.close();
    say({ closed: process.pid });
  } catch (error) {
    say({ pid: process.pid, error: isDeckhandError(error) ? error.code : 'other', message: (error as Error).message });
    process.exitCode = 1;
  }
}

if (mode) await main();
