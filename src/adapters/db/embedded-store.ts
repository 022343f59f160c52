import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { DeckhandError } from '../../domain/errors.js';
import type { Database, Db } from './client.js';
import * as schema from './schema.js';
import { type CreatedStore, createStore, openMigrated } from './pglite-open.js';
import { type OwnerRecord, acquireOwnerLock, liveness, ownRecord, parseRecord } from './store-owner.js';
import { serveStore, socketPathFor } from './store-socket.js';

export interface EmbeddedOptions {
  /** The PGlite directory, e.g. `<DECKHAND_DATA_DIR>/db`. Its lock is `<dbDir>.lock`, its socket `<dbDir>.sock`. */
  dbDir: string;
  migrationsFolder: string;
  /** How long a second process waits for an owner that is still starting (lock taken, socket not up yet). */
  ownerStartMs?: number;
  /** How long a closing owner keeps serving processes still connected through it (a CLI beside another CLI). */
  lingerMs?: number;
  /**
   * Creates and migrates a new store in the directory given (which is then renamed into place). In this process by
   * default; the bot's long-lived store process creates it in a short-lived one (store-create-apart.ts).
   */
  create?: (dir: string, migrationsFolder: string) => Promise<CreatedStore | undefined>;
}

type SocketState = 'answers' | 'missing' | 'refused' | 'no-answer';

/** Whether something listens on the Unix socket at `path`, without speaking to it. */
export function probeSocket(path: string, timeoutMs = 2_000): Promise<SocketState> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (state: SocketState) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('no-answer'), timeoutMs);
    socket.once('connect', () => done('answers'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ENOENT' ? 'missing' : error.code === 'ECONNREFUSED' ? 'refused' : 'no-answer'));
  });
}

/**
 * Opens the embedded store at `dbDir`. The first process takes the owner lock, opens PGlite (creating the store
 * atomically if there is none), migrates it and serves it on a Unix socket; every other process talks to the owner
 * through that socket as an ordinary Postgres client and never opens the PGlite files itself.
 */
export async function openEmbeddedStore(options: EmbeddedOptions): Promise<Database> {
  const { dbDir } = options;
  const lockPath = `${dbDir}.lock`;
  for (let attempt = 0; ; attempt++) {
    const acquired = await ownEmbeddedStore(options);
    if ('database' in acquired) return acquired.database;
    const waitMs = options.ownerStartMs ?? 20_000;
    const reached = await waitForOwner(acquired.record, lockPath, waitMs);
    if (reached === 'answers') {
      try {
        return await connectToOwner(acquired.record, lockPath);
      } catch (error) {
        // The owner may be closing just as we came (a CLI that finished): once it is gone, try again from the lock.
        if ((await waitForOwner(acquired.record, lockPath, waitMs, true)) !== 'no-answer' && attempt < 3) continue;
        throw error;
      }
    }
    if (reached === 'changed' && attempt < 3) continue;
    throw unreachable(acquired.record, lockPath, reached);
  }
}

/**
 * Takes the store's owner lock and opens it as its owner (PGlite, migrated, served on the socket), or, when a live
 * process holds the lock, says who: the caller decides whether to go through that owner or wait for it to go.
 */
export async function ownEmbeddedStore(options: EmbeddedOptions): Promise<{ database: Database; socket: string; created?: CreatedStore } | { record: OwnerRecord }> {
  const { dbDir } = options;
  mkdirSync(dirname(dbDir), { recursive: true });
  const acquired = await acquireOwnerLock(`${dbDir}.lock`, socketPathFor(dbDir), {
    // A lock from another pid namespace (another container on this kernel): gone if its socket has no listener.
    foreignIsGone: async (record) => record.bootId === ownRecord('').bootId && (await probeSocket(record.socket)) === 'refused',
  });
  if (!acquired.owned) return { record: acquired.record };
  try {
    // A socket file left by a dead owner would read as "refuses" while we start; gone, it reads as "starting".
    rmSync(acquired.record.socket, { force: true });
    return { ...(await openAsOwner(options, acquired.record.socket, acquired.release)), socket: acquired.record.socket };
  } catch (error) {
    acquired.release();
    throw error;
  }
}

/** Waits while the owner's socket is not there yet (it is starting) or no longer there (`leaving`: it is closing). */
async function waitForOwner(record: OwnerRecord, lockPath: string, startMs: number, leaving = false): Promise<SocketState | 'changed'> {
  const deadline = Date.now() + startMs;
  for (;;) {
    const state = await probeSocket(record.socket);
    if (state === 'answers') return state;
    const current = parseRecord(readLock(lockPath));
    if (current?.nonce !== record.nonce || liveness(record) === 'dead') return 'changed';
    // A socket may still come while the owner is young: missing (not created yet), or refused, because an owner that
    // took over after a kill -9 has not yet removed the dead owner's socket file. One that started long ago will not.
    const young = Date.now() - Date.parse(record.startedAt) < startMs;
    const starting = (state === 'missing' && (leaving || young)) || (state === 'refused' && young);
    if (!starting || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function unreachable(owner: OwnerRecord, lockPath: string, state: SocketState | 'changed', cause?: unknown): DeckhandError {
  const why = { missing: 'it does not exist', refused: 'nothing listens on it', 'no-answer': 'it does not answer', answers: '', changed: 'its owner keeps changing' }[state];
  const where = owner.hostname === ownRecord('').hostname ? '' : ` on host ${owner.hostname}`;
  return new DeckhandError(
    'database_unavailable',
    `The embedded store ${lockPath.slice(0, -'.lock'.length)} is in use by deckhand pid ${owner.pid}${where} (since ${owner.startedAt}), ` +
      `which cannot be reached through ${owner.socket}: ${why}. Nothing was changed. ` +
      `Stop pid ${owner.pid} (or, if it no longer runs, delete ${lockPath}), or set DATABASE_URL to a Postgres server that all deckhand processes share.`,
    { ownerPid: owner.pid, ownerHost: owner.hostname, lock: lockPath },
    { cause },
  );
}

async function connectToOwner(owner: OwnerRecord, lockPath: string): Promise<Database> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  // One session serves everyone in PGlite: unnamed statements only, so nothing a client prepared outlives it there.
  // (Named ones do work through the scheduler, but stay in the owner's session after the client quits, and a CLI
  // runs each statement about once: test/integration/prepared-queries.test.ts checks the session stays clean.)
  const client = postgres({ path: owner.socket, max: 4, prepare: false, fetch_types: false, onnotice: () => undefined, connect_timeout: 10, user: 'postgres', database: 'postgres' });
  try {
    await client`select 1`;
  } catch (error) {
    await client.end({ timeout: 1 }).catch(() => undefined);
    throw unreachable(owner, lockPath, 'no-answer', error);
  }
  return { db: drizzle(client, { schema }) as unknown as Db, kind: 'pglite', close: () => client.end({ timeout: 5 }) };
}

async function openAsOwner(options: EmbeddedOptions, socket: string, release: () => void): Promise<{ database: Database; created?: CreatedStore }> {
  const { dbDir, migrationsFolder } = options;
  // We hold the lock: a sibling left by a creation that crashed is ours to remove.
  const prefix = `${basename(dbDir)}.creating-`;
  for (const name of readdirSync(dirname(dbDir))) if (name.startsWith(prefix)) rmSync(join(dirname(dbDir), name), { recursive: true, force: true });
  if (existsSync(dbDir) && readdirSync(dbDir).length === 0) rmSync(dbDir, { recursive: true });
  let created: CreatedStore | undefined;
  if (!existsSync(dbDir)) {
    // Create and migrate beside the final place, then rename: a crash leaves no half-made store at dbDir.
    const temp = `${dbDir}.creating-${process.pid}`;
    created = await (options.create ?? createStore)(temp, migrationsFolder);
    renameSync(temp, dbDir);
  }
  const { client, db } = await openMigrated(dbDir, migrationsFolder);
  let server;
  try {
    server = await serveStore(client, socket);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new DeckhandError('database_unavailable', `Cannot serve the embedded store on ${socket}: ${(error as Error).message}`, {}, { cause: error });
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      try {
        await server.drain(options.lingerMs ?? 10_000);
        await server.stop();
        await client.close();
      } finally {
        release();
      }
    })());
  return { database: { db, kind: 'pglite', close }, ...(created ? { created } : {}) };
}
