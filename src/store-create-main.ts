/**
 * Creates a new embedded store and exits: `node dist/store-create-main.js <dir> <migrationsFolder>`, started by the
 * bot's store process with an IPC channel (src/adapters/db/store-create-apart.ts), which holds the store's owner
 * lock meanwhile. PGlite's initdb leaves hundreds of MB in a process's WebAssembly memory that it never gives back;
 * here they go when this process does. Tells its parent `{ ok, pid, peakMb }` or `{ ok: false, code, message }`.
 */
import { readFileSync } from 'node:fs';
import { createStore } from './adapters/db/pglite-open.js';
import type { CreateMessage } from './adapters/db/store-create-apart.js';
import { asDeckhandError } from './domain/errors.js';

const [dir, migrationsFolder] = process.argv.slice(2);
const tell = (message: CreateMessage) => new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
/** VmHWM, in MB (0 where /proc cannot be read). */
function peakMb(): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  if (!dir || !migrationsFolder || !process.send) {
    process.stderr.write('usage: store-create-main <dir> <migrationsFolder> (started by the store process, with an IPC channel)\n');
    process.exit(2);
  }
  // The store process that waits for this one is gone (and with it the owner lock): stop; the next owner removes `dir`.
  process.on('disconnect', () => process.exit(1));
  process.on('SIGINT', () => undefined);
  await createStore(dir, migrationsFolder);
  await tell({ ok: true, pid: process.pid, peakMb: Math.round(peakMb()) });
  process.exit(0);
}

main().catch(async (error) => {
  const e = asDeckhandError(error);
  await tell({ ok: false, pid: process.pid, code: e.code, message: e.message });
  process.exit(1);
});
