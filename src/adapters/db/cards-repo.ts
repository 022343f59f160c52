import { and, asc, eq, inArray, lt } from 'drizzle-orm';
import type { Card, CardStatus, CardStore, NewCard } from '../../domain/approvals/card.js';
import type { Db } from './client.js';
import { cards } from './schema.js';

type Row = typeof cards.$inferSelect;
const toCard = (row: Row): Card => ({ ...row, status: row.status as CardStatus });

/** Rollback cards in Postgres: every close is a conditional update on `status = 'open'`, so it happens once. */
export class DrizzleCardStore implements CardStore {
  constructor(private readonly db: Db) {}

  async create(card: NewCard): Promise<Card> {
    const [row] = await this.db.insert(cards).values({ ...card, status: 'open' }).returning();
    return toCard(row!);
  }

  async get(nonce: string): Promise<Card | undefined> {
    const [row] = await this.db.select().from(cards).where(eq(cards.nonce, nonce));
    return row ? toCard(row) : undefined;
  }

  async close(nonce: string, status: Exclude<CardStatus, 'open'>, by: string | null, at: Date): Promise<Card | undefined> {
    const [row] = await this.db
      .update(cards)
      .set({ status, closedBy: by, closedAt: at })
      .where(and(eq(cards.nonce, nonce), eq(cards.status, 'open')))
      .returning();
    return row ? toCard(row) : undefined;
  }

  async expireDue(now: Date, limit: number): Promise<Card[]> {
    const due = this.db.select({ nonce: cards.nonce }).from(cards).where(and(eq(cards.status, 'open'), lt(cards.expiresAt, now))).orderBy(asc(cards.expiresAt)).limit(limit);
    const rows = await this.db
      .update(cards)
      .set({ status: 'expired', closedBy: null, closedAt: now })
      .where(and(inArray(cards.nonce, due), eq(cards.status, 'open')))
      .returning();
    return rows.map(toCard);
  }
}
