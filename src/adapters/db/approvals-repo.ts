import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Approval, ApprovalPlan, ApprovalStatus, ApprovalStore, ClaimStore, NewApproval } from '../../domain/approvals/approval.js';
import type { Db } from './client.js';
import { actionClaims, approvals } from './schema.js';

type Row = typeof approvals.$inferSelect;
const toApproval = (row: Row): Approval => ({ ...row, kind: row.kind as Approval['kind'], status: row.status as ApprovalStatus });

export class DrizzleApprovalStore implements ApprovalStore {
  /** An app's pending requests: read by every status and every deploy that may need approval; prepared once. */
  private readonly pendingOf;

  constructor(private readonly db: Db) {
    this.pendingOf = db.select().from(approvals).where(and(eq(approvals.app, sql.placeholder('app')), eq(approvals.status, 'pending'))).prepare('approvals_pending');
  }

  async create(input: NewApproval): Promise<Approval> {
    const [row] = await this.db.insert(approvals).values({ ...input, status: 'pending' }).returning();
    return toApproval(row!);
  }

  async get(id: number): Promise<Approval | undefined> {
    const [row] = await this.db.select().from(approvals).where(eq(approvals.id, id));
    return row ? toApproval(row) : undefined;
  }

  async setMessage(id: number, channel: string, ts: string): Promise<void> {
    await this.db.update(approvals).set({ channel, messageTs: ts }).where(eq(approvals.id, id));
  }

  async close(id: number, status: Exclude<ApprovalStatus, 'pending'>, by: string | null, at: Date): Promise<Approval | undefined> {
    const [row] = await this.db
      .update(approvals)
      .set({ status, decidedBy: by, decidedAt: at })
      .where(and(eq(approvals.id, id), eq(approvals.status, 'pending')))
      .returning();
    return row ? toApproval(row) : undefined;
  }

  async pending(app: string): Promise<Approval[]> {
    const rows = await this.pendingOf.execute({ app });
    return rows.map(toApproval);
  }

  async replacePlan(id: number, plan: ApprovalPlan): Promise<Approval | undefined> {
    const [row] = await this.db.update(approvals).set({ plan }).where(and(eq(approvals.id, id), eq(approvals.status, 'pending'))).returning();
    return row ? toApproval(row) : undefined;
  }

  async expireDue(now: Date, limit: number): Promise<Approval[]> {
    // The conditional update hands each request to one replica only, however many sweep at once.
    const due = this.db.select({ id: approvals.id }).from(approvals).where(and(eq(approvals.status, 'pending'), lt(approvals.expiresAt, now))).orderBy(asc(approvals.expiresAt)).limit(limit);
    const rows = await this.db
      .update(approvals)
      .set({ status: 'expired', decidedBy: null, decidedAt: now })
      .where(and(inArray(approvals.id, due), eq(approvals.status, 'pending')))
      .returning();
    return rows.map(toApproval);
  }
}

export class DrizzleClaimStore implements ClaimStore {
  constructor(private readonly db: Db) {}

  async claim(key: string, by: string, at: Date) {
    const inserted = await this.db.insert(actionClaims).values({ key, claimedBy: by, claimedAt: at }).onConflictDoNothing().returning();
    if (inserted[0]) return { first: true, claimedBy: by, claimedAt: at };
    const [existing] = await this.db.select().from(actionClaims).where(eq(actionClaims.key, key));
    return { first: false, claimedBy: existing?.claimedBy ?? 'someone', claimedAt: existing?.claimedAt ?? at };
  }
}
