/**
 * `node --import tsx test/helpers/store-process-runner.ts <dbDir>`: starts the bot's supervised store process as the
 * bot does (startStoreProcess), prints each store event and the outcome as JSON lines ({ event }, { ready, deployments }
 * or { error: { code, message } }), and closes the store on SIGTERM.
 * `… store-process-runner.ts create <dir> <timeoutMs>`: only creates a store at `dir` in a process apart, as the store
 * process does (createStoreApart), and prints { created } or { error }.
 * For tests that need these processes forked from one running under tsx (vitest's own workers do not load .ts children).
 */
import { migrationsFolder } from '../../src/adapters/db/client.js';
import { createStoreApart } from '../../src/adapters/db/store-create-apart.js';
import { type StoreProcess, startStoreProcess } from '../../src/adapters/db/store-process.js';
import { asDeckhandError } from '../../src/domain/errors.js';

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
let store: StoreProcess | undefined;
// Registered first: a SIGTERM at any moment closes what was started and exits 0.
process.on('SIGTERM', () => {
  print({ stopping: true });
  void (store?.close() ?? Promise.resolve()).then(() => process.exit(0));
});

try {
  if (process.argv[2] === 'create') {
    print({ created: await createStoreApart(process.argv[3]!, migrationsFolder, Number(process.argv[4])) });
    process.exit(0);
  }
  store = await startStoreProcess({ dbDir: process.argv[2]!, onEvent: (event) => print({ event }) });
  const rows = (await store.db.execute('select count(*)::int as n from deployments' as never)) as unknown as Array<{ n: number }>;
  print({ ready: true, deployments: rows[0]!.n });
} catch (error) {
  const e = asDeckhandError(error);
  print({ error: { code: e.code, message: e.message } });
  process.exit(1);
}
