import type { PlanFacts } from './plan-facts.js';

/**
 * A rollback confirmation card as shown to a person: what it showed (facts), to whom, where, and until when. The
 * first of Confirm, Cancel, expiry or a replacement plan closes it; a closed card acts no more.
 */
export type CardStatus = 'open' | 'confirmed' | 'cancelled' | 'expired' | 'replaced';

export interface Card {
  nonce: string;
  app: string;
  targetId: number;
  requestedBy: string;
  channel: string;
  reason: string | null;
  /** Where the (ephemeral) card can be replaced: the command's or click's response_url. */
  responseUrl: string | null;
  facts: PlanFacts;
  status: CardStatus;
  shownAt: Date;
  expiresAt: Date;
  closedBy: string | null;
  closedAt: Date | null;
}

export type NewCard = Pick<Card, 'nonce' | 'app' | 'targetId' | 'requestedBy' | 'channel' | 'reason' | 'responseUrl' | 'facts' | 'shownAt' | 'expiresAt'>;

/** Default lifetime of a rollback card. */
export const CARD_EXPIRY_MS = 15 * 60_000;

export interface CardStore {
  create(card: NewCard): Promise<Card>;
  get(nonce: string): Promise<Card | undefined>;
  /** Moves an open card to `status`; undefined when it was no longer open (someone or something closed it first). */
  close(nonce: string, status: Exclude<CardStatus, 'open'>, by: string | null, at: Date): Promise<Card | undefined>;
  /** Closes up to `limit` open cards whose time ran out, returning them; each is returned to one caller only. */
  expireDue(now: Date, limit: number): Promise<Card[]>;
}
