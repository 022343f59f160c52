import { lt } from 'drizzle-orm';
import type { Db } from './client.js';
import { slackRequests } from './schema.js';

/** The signed Slack requests deckhand has acted on, shared by every replica through the database. */
export class DrizzleSlackRequestLog {
  constructor(private readonly db: Db) {}

  /** Records a request; true the first time its digest is seen, false for a replay (the row was already there). */
  async record(digest: string, requestAt: Date, receivedAt: Date): Promise<boolean> {
    const inserted = await this.db.insert(slackRequests).values({ digest, requestAt, receivedAt }).onConflictDoNothing().returning({ digest: slackRequests.digest });
    return inserted.length === 1;
  }

  /** Forgets requests signed before `before` (Bolt refuses them anyway); returns how many rows went. */
  async prune(before: Date): Promise<number> {
    const removed = await this.db.delete(slackRequests).where(lt(slackRequests.requestAt, before)).returning({ digest: slackRequests.digest });
    return removed.length;
  }
}
