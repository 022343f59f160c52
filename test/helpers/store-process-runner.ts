/**
 * `node --import tsx test/helpers/store-process-runner.ts <dbDir>`: starts the bot's supervised store process as the
 * bot does (startStoreProcess), prints each store event and the outcome as JSON lines ({ event }, { ready, deployments }
 * or { error: { code, message } }), and closes the store on SIGTERM. For tests that need the store process forked
 * from a process running under tsx (vitest's own workers do not load .ts children).
 */
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
  store = await startStoreProcess({ dbDir: process.argv[2]!, onEvent: (event) => print({ event }) });
  const rows = (await store.db.execute('select count(*)::int as n from deployments' as never)) as unknown as Array<{ n: number }>;
  print({ ready: true, deployments: rows[0]!.n });
} catch (error) {
  const e = asDeckhandError(error);
  print({ error: { code: e.code, message: e.message } });
  process.exit(1);
}
