import { chmodSync, mkdirSync, rmSync, rmdirSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { basename, dirname } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { unixSocketPath } from '../../socket-path.js';

export { MAX_SOCKET_PATH } from '../../socket-path.js';

/**
 * Where the owner of the store at `dbDir` serves it: beside the store, or, when that path is too long for a Unix
 * socket, in a private directory under the system temp dir named by a hash of the store's path.
 */
export function socketPathFor(dbDir: string): string {
  return unixSocketPath(`${dbDir}.sock`, dbDir, 'db.sock');
}

const BYTE = (c: string) => c.charCodeAt(0);
/** Messages after which the client waits for an answer: Sync, simple Query, Flush, Terminate, and the startup packet. */
const ANSWERED = new Set([BYTE('S'), BYTE('Q'), BYTE('H'), BYTE('X'), 0]);
const SYNC = Buffer.from([BYTE('S'), 0, 0, 0, 4]);
const ROLLBACK = (() => {
  const text = Buffer.from('ROLLBACK\0');
  const header = Buffer.alloc(5);
  header.writeUInt8(BYTE('Q'), 0);
  header.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([header, text]);
})();

type Sink = (data: Uint8Array) => void;

/**
 * PGlite is ONE Postgres session shared by the owner's own queries and every socket client. pglite-socket's own
 * queue runs each protocol message separately, so another client's (or the owner's) statement can land between a
 * client's Parse, Bind and Execute and replace its unnamed statement or portal, or run inside its transaction.
 * This scheduler keeps a client's messages together up to the point where it waits for an answer, and keeps the
 * session for that client (PGlite's query lock held, so the owner waits too) while it is inside a transaction or
 * between a Flush and its Sync. A client that holds the session longer than `holdMs` is disconnected, rolled back.
 */
export class SessionScheduler {
  private readonly pending = new Map<number, Uint8Array[]>();
  private readonly tails = new Map<number, Promise<unknown>>();
  private readonly gone = new Set<number>();
  private held?: { id: number; release(): void; timer: NodeJS.Timeout };

  constructor(
    private readonly db: PGlite,
    private readonly onHoldTimeout: (handlerId: number) => void,
    private readonly holdMs = 30_000,
  ) {}

  enqueue(id: number, message: Uint8Array, onData: Sink): Promise<number> {
    const parts = this.pending.get(id) ?? [];
    parts.push(message);
    if (!ANSWERED.has(message[0] ?? 0)) {
      this.pending.set(id, parts);
      return Promise.resolve(0);
    }
    this.pending.delete(id);
    const batch = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
    const run = (this.tails.get(id) ?? Promise.resolve()).then(() => this.run(id, batch, message[0] ?? 0, onData));
    const tail = run.catch(() => undefined);
    this.tails.set(id, tail);
    void tail.then(() => this.tails.get(id) === tail && this.tails.delete(id));
    return run;
  }

  getQueueLength(): number {
    return this.pending.size;
  }

  clearQueueForHandler(id: number): void {
    this.pending.delete(id);
    this.gone.add(id);
  }

  async clearTransactionIfNeeded(id: number): Promise<void> {
    this.gone.add(id);
    if (this.held?.id === id) await this.endHold();
  }

  private async run(id: number, batch: Uint8Array, kind: number, onData: Sink): Promise<number> {
    if (this.held?.id === id) {
      const bytes = await this.execute(batch, onData);
      if (!this.isOpen(kind)) await this.endHold();
      else this.rearm();
      return bytes;
    }
    return new Promise<number>((resolve, reject) => {
      this.db
        .runExclusive(async () => {
          const bytes = await this.execute(batch, onData);
          if (!this.isOpen(kind)) return resolve(bytes);
          if (this.gone.has(id)) {
            await this.reset();
            return resolve(bytes);
          }
          const released = new Promise<void>((release) => {
            this.held = { id, release, timer: setTimeout(() => this.timeout(id), this.holdMs) };
          });
          resolve(bytes);
          await released;
        })
        .catch(reject);
    });
  }

  private isOpen(kind: number): boolean {
    return kind === BYTE('H') || this.db.isInTransaction();
  }

  private rearm(): void {
    if (!this.held) return;
    clearTimeout(this.held.timer);
    const { id } = this.held;
    this.held.timer = setTimeout(() => this.timeout(id), this.holdMs);
  }

  private timeout(id: number): void {
    this.onHoldTimeout(id);
    if (this.held?.id === id) void this.endHold();
  }

  private async execute(batch: Uint8Array, onData: Sink): Promise<number> {
    let bytes = 0;
    await this.db.execProtocolRawStream(batch, {
      onRawData: (data) => {
        bytes += data.length;
        onData(data);
      },
    });
    return bytes;
  }

  /** Ends whatever the departed holder left open (an extended-protocol exchange, a transaction). */
  private async reset(): Promise<void> {
    const ignore: Sink = () => undefined;
    await this.db.execProtocolRawStream(SYNC, { onRawData: ignore });
    if (this.db.isInTransaction()) await this.db.execProtocolRawStream(ROLLBACK, { onRawData: ignore });
  }

  private async endHold(): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    clearTimeout(held.timer);
    try {
      if (this.gone.has(held.id) || this.db.isInTransaction()) await this.reset();
    } finally {
      held.release();
    }
  }
}

export interface StoreServer {
  path: string;
  /** Waits until no client is connected, or `ms` passed. */
  drain(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Serves `db` on a Unix socket at `path` (a stale socket file there is replaced: the caller holds the owner lock).
 * `holdMs` bounds how long one client may keep the session to itself (inside a transaction) without a word.
 */
export async function serveStore(db: PGlite, path: string, options: { holdMs?: number } = {}): Promise<StoreServer> {
  const sockets = new Map<number, Socket>();
  const scheduler = new SessionScheduler(db, (id) => sockets.get(id)?.destroy(), options.holdMs);
  const server: Server = createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: scheduler as unknown as PGLiteSocketHandlerOptions['queryQueue'], closeOnDetach: true });
    sockets.set(handler.handlerId, socket);
    socket.once('close', () => sockets.delete(handler.handlerId));
    handler.attach(socket).catch(() => socket.destroy());
  });
  const dir = dirname(path);
  const fallback = basename(path) === 'db.sock' && basename(dir).startsWith('deckhand-');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The fallback directory under /tmp is ours alone: nobody else may reach the store through it.
  if (fallback) chmodSync(dir, 0o700);
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    path,
    drain: async (ms) => {
      const deadline = Date.now() + ms;
      while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets.values()) socket.destroy();
      await closed;
      rmSync(path, { force: true });
      if (fallback) {
        try {
          rmdirSync(dir);
        } catch {
          /* not empty or already gone: leave it */
        }
      }
    },
  };
}
