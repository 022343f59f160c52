/**
 * The embedded store's own process, started and supervised by the bot (src/adapters/db/store-process.ts):
 * `node dist/store-main.js <dbDir>` with an IPC channel to the bot. It takes the store's owner lock, opens and
 * migrates PGlite and serves it on the Unix socket; the bot, like every CLI, is an ordinary Postgres client of that
 * socket, so PGlite's memory and its query work stay out of the bot's process and event loop.
 *
 * While another live process owns the store (a CLI that started first) it waits and takes the store over once that
 * owner is gone. It stops when the bot tells it to (SIGTERM) or when the bot is gone (the IPC channel closes, also
 * on `kill -9` of the bot): it never outlives the bot holding the lock, except for the owner's usual linger (at most
 * 10 s) while a CLI is still connected through it. Messages to the bot: `{ state: 'serving' | 'standby' | 'failed' }`.
 */
import { migrationsFolder } from './adapters/db/client.js';
import type { Database } from './adapters/db/client.js';
import { ownEmbeddedStore } from './adapters/db/embedded-store.js';
import type { CreatedStore } from './adapters/db/pglite-open.js';
import { createStoreApart } from './adapters/db/store-create-apart.js';
import { asDeckhandError } from './domain/errors.js';

export type StoreMessage =
  | { state: 'serving'; pid: number; socket: string; created?: CreatedStore }
  | { state: 'standby'; pid: number; socket: string; ownerPid: number }
  | { state: 'failed'; pid: number; code: string; message: string };

const STANDBY_POLL_MS = 250;
const dbDir = process.argv[2];
const tell = (message: StoreMessage) => process.send?.(message);
let database: Database | undefined;
let stopping: Promise<void> | undefined;

function stop(): Promise<void> {
  stopping ??= (async () => {
    try {
      await database?.close();
    } finally {
      process.exit(0);
    }
  })();
  return stopping;
}

async function main(): Promise<void> {
  if (!dbDir || !process.send) {
    process.stderr.write('usage: store-main <dbDir> (started by the bot, with an IPC channel)\n');
    process.exit(2);
  }
  // The bot decides when the store stops: a terminal's Ctrl-C reaches the whole process group, and the bot, still
  // shutting down, needs its store until it says so.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  let told = 0;
  while (!stopping) {
    // A new store is created in a process of its own, so this long-lived one never holds initdb's memory.
    const owned = await ownEmbeddedStore({ dbDir, migrationsFolder, create: createStoreApart });
    if ('database' in owned) {
      database = owned.database;
      if (stopping) return void (await database.close());
      tell({ state: 'serving', pid: process.pid, socket: owned.socket, ...(owned.created ? { created: owned.created } : {}) });
      return;
    }
    // Said once per owner, not on every poll.
    if (told !== owned.record.pid) tell({ state: 'standby', pid: process.pid, socket: owned.record.socket, ownerPid: (told = owned.record.pid) });
    await new Promise((resolve) => setTimeout(resolve, STANDBY_POLL_MS));
  }
}

main().catch((error) => {
  const e = asDeckhandError(error);
  tell({ state: 'failed', pid: process.pid, code: e.code, message: e.message });
  process.stderr.write(`deckhand: store: ${e.code}: ${e.message}\n`);
  // Let the message reach the bot before the channel closes.
  setTimeout(() => process.exit(1), 100);
});
