import type { ChangeContext } from './change-context.js';
import type { PlanFacts } from './plan-facts.js';

/** What the request showed when it was made (or last re-planned), to render it and to notice a changed plan. */
export interface ApprovalPlan {
  /** The ref or image asked for (deploys). */
  label: string | null;
  changes: ChangeContext | null;
  lock: { lockedBy: string; reason: string } | null;
  inProgress: number[];
  facts: PlanFacts;
  shownAt: string;
  /** Set when Approve found the plan changed: what changed, shown above the new plan. */
  changed?: string[];
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'superseded';

export interface Approval {
  id: number;
  app: string;
  kind: 'deploy' | 'rollback';
  deploymentId: number | null;
  targetId: number | null;
  baselineId: number | null;
  requestedBy: string;
  channel: string;
  /** Why, as the requester wrote it (`/deploy web main -- reason`). */
  reason?: string | null;
  plan?: ApprovalPlan | null;
  messageTs: string | null;
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  expiresAt: Date;
  createdAt: Date;
}

export type NewApproval = Pick<Approval, 'app' | 'kind' | 'deploymentId' | 'targetId' | 'baselineId' | 'requestedBy' | 'channel' | 'expiresAt' | 'reason' | 'plan'>;

export interface ApprovalStore {
  create(input: NewApproval): Promise<Approval>;
  get(id: number): Promise<Approval | undefined>;
  setMessage(id: number, channel: string, ts: string): Promise<void>;
  /** Moves a pending approval to `status`; undefined when it was no longer pending (someone else decided first). */
  close(id: number, status: Exclude<ApprovalStatus, 'pending'>, by: string | null, at: Date): Promise<Approval | undefined>;
  pending(app: string): Promise<Approval[]>;
  /** Shows a new plan on a pending request; undefined when it was no longer pending. */
  replacePlan(id: number, plan: ApprovalPlan): Promise<Approval | undefined>;
  /** Expires up to `limit` pending requests past their time, returning them; each is returned to one caller only. */
  expireDue(now: Date, limit: number): Promise<Approval[]>;
}

/** Claims a key once: true for the first caller, false for every later one (idempotent button clicks). */
export interface ClaimStore {
  claim(key: string, by: string, at: Date): Promise<{ first: boolean; claimedBy: string; claimedAt: Date }>;
}
