import type { ChildProcess } from 'node:child_process';
import { DeckhandError } from '../../domain/errors.js';
import type { StoreMessage } from '../../store-main.js';
import type { Database, Db } from './client.js';
import { forkEntry } from './fork-entry.js';
import type { CreatedStore } from './pglite-open.js';
import { boundedSocketFactory } from './postgres-socket.js';
import * as schema from './schema.js';

/** What the supervisor says happened to the store process (the bot reports it). */
export type StoreEvent =
  | { type: 'serving'; pid: number; restarted: boolean; created?: CreatedStore }
  | { type: 'standby'; pid: number; ownerPid: number }
  | { type: 'died'; pid: number; how: string; restartInMs: number };

export interface StoreProcessOptions {
  /** The PGlite directory (`<DECKHAND_DATA_DIR>/db`). */
  dbDir: string;
  onEvent?(event: StoreEvent): void;
  /** First restart delay after a crash; doubles per crash in a row up to `maxRestartMs` (defaults 200 ms, 5 s). */
  restartMs?: number;
  maxRestartMs?: number;
}

export interface StoreProcess extends Database {
  /** The store process now (undefined between a crash and its restart). */
  pid(): number | undefined;
}

/** A store process that served this long is healthy again: the next crash restarts it after the first delay. */
const STABLE_MS = 30_000;
const STOP_MS = 15_000;

/**
 * The bot's embedded store, in a child process it supervises (src/store-main.ts): the child owns the store (lock,
 * PGlite, migrations, the socket); the bot is a postgres.js client of the socket like any CLI. When the child dies
 * the bot's queries in flight fail as `database_unavailable` (the socket closed), the child is started again after
 * a bounded backoff, and postgres.js reconnects to the same socket by itself. Resolves once the store answers;
 * a store that cannot start (a failed migration, an owner that cannot be reached) rejects, as an in-process open did.
 */
export async function startStoreProcess(options: StoreProcessOptions): Promise<StoreProcess> {
  const first = options.restartMs ?? 200;
  const most = options.maxRestartMs ?? 5_000;
  let child: ChildProcess | undefined;
  let stopping = false;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let served = false;

  const spawnChild = (restarted: boolean) =>
    new Promise<StoreMessage & { state: 'serving' | 'standby' }>((resolve, reject) => {
      const started = Date.now();
      const proc = forkEntry('store-main', [options.dbDir]);
      child = proc;
      let settled = false;
      proc.on('message', (message: StoreMessage) => {
        if (message.state === 'failed') {
          // A full disk is said as such: waiting for the store to come back would not help.
          if (!settled) reject(new DeckhandError(message.code === 'disk_full' ? 'disk_full' : 'database_unavailable', message.message, { storePid: message.pid }));
          settled = true;
          return;
        }
        if (message.state === 'serving') options.onEvent?.({ type: 'serving', pid: message.pid, restarted, ...(message.created ? { created: message.created } : {}) });
        else options.onEvent?.({ type: 'standby', pid: message.pid, ownerPid: message.ownerPid });
        served = true;
        if (!settled) resolve(message);
        settled = true;
      });
      proc.once('exit', (code, signal) => {
        if (child === proc) child = undefined;
        const how = signal ?? `exit ${code}`;
        if (!settled) reject(new DeckhandError('database_unavailable', `The embedded store process stopped before it served the store (${how}).`));
        settled = true;
        // The first start's failure is the bot's (it stops and says why); later ones are retried.
        if (stopping || (!restarted && !served)) return;
        crashes = Date.now() - started > STABLE_MS ? 1 : crashes + 1;
        const restartInMs = Math.min(first * 2 ** (crashes - 1), most);
        options.onEvent?.({ type: 'died', pid: proc.pid ?? 0, how, restartInMs });
        restartTimer = setTimeout(() => {
          restartTimer = undefined;
          // A restart that fails (the store cannot open now) exits, counts as one more crash and is tried again.
          if (!stopping) spawnChild(true).catch(() => undefined);
        }, restartInMs);
      });
    });

  const ready = await spawnChild(false);
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  // The same bounds as a Postgres server (client.ts): connect within 5 s, a query the store stops answering fails
  // after 15 s, reconnect attempts at most 2 s apart. Unnamed statements only: PGlite is one session shared by all.
  const settings = {
    path: ready.socket,
    prepare: false,
    // No array types asked on connect: a store process killed in that moment must not become an unhandled rejection
    // in the bot (client.ts says more).
    fetch_types: false,
    onnotice: () => undefined,
    connect_timeout: 5,
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 2),
    socket: boundedSocketFactory(15_000),
    user: 'postgres',
    database: 'postgres',
  };
  const client = postgres({ ...settings, max: 4 });
  // The Slack ack path's replay ledger on a connection of its own: an ack never waits behind the pool's reads.
  const ackClient = postgres({ ...settings, max: 1 });
  return {
    db: drizzle(client, { schema }) as unknown as Db,
    acks: drizzle(ackClient, { schema }) as unknown as Db,
    kind: 'pglite',
    pid: () => child?.pid,
    close: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      await Promise.all([client.end({ timeout: 5 }), ackClient.end({ timeout: 5 })]).catch(() => undefined);
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
