import { lt } from 'drizzle-orm';
import type { Db } from './client.js';
import { slackRequests } from './schema.js';

export interface RequestRow {
  digest: string;
  requestAt: Date;
  receivedAt: Date;
}

/** The signed Slack requests deckhand has acted on, shared by every replica through the database. */
export class DrizzleSlackRequestLog {
  private readonly batcher: RecordBatcher;

  constructor(private readonly db: Db) {
    this.batcher = new RecordBatcher((rows) => this.recordMany(rows));
  }

  /**
   * Records a request; true the first time its digest is seen, false for a replay (the row was already there).
   * Requests arriving together (a burst of slash commands) are written in one statement, so each ack waits for one
   * round trip, not for the queue of everyone else's.
   */
  record(digest: string, requestAt: Date, receivedAt: Date): Promise<boolean> {
    return this.batcher.record({ digest, requestAt, receivedAt });
  }

  /** One INSERT for many rows; the digests that were new. */
  async recordMany(rows: RequestRow[]): Promise<Set<string>> {
    const inserted = await this.db.insert(slackRequests).values(rows).onConflictDoNothing().returning({ digest: slackRequests.digest });
    return new Set(inserted.map((row) => row.digest));
  }

  /** Forgets requests signed before `before` (Bolt refuses them anyway); returns how many rows went. */
  async prune(before: Date): Promise<number> {
    const removed = await this.db.delete(slackRequests).where(lt(slackRequests.requestAt, before)).returning({ digest: slackRequests.digest });
    return removed.length;
  }
}

/**
 * Gathers the records that arrive while a write is in flight and writes them together next: at most one write in
 * flight, every caller answered from the write that carried its row. Two copies of one digest in a batch: the first
 * is new, the other a replay, as if they had come one after the other.
 */
export class RecordBatcher {
  private pending: Array<{ row: RequestRow; resolve: (first: boolean) => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  constructor(private readonly write: (rows: RequestRow[]) => Promise<Set<string>>) {}

  record(row: RequestRow): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (!this.writing) this.flush();
    });
  }

  private flush(): void {
    this.writing = true;
    // One turn of the event loop lets requests parsed together join the same write.
    setImmediate(() => {
      const batch = this.pending;
      this.pending = [];
      const unique = [...new Map(batch.map((item) => [item.row.digest, item.row])).values()];
      this.write(unique).then(
        (inserted) => {
          for (const item of batch) {
            const first = inserted.delete(item.row.digest);
            item.resolve(first);
          }
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      ).finally(() => {
        if (this.pending.length > 0) this.flush();
        else this.writing = false;
      });
    });
  }
}
