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
  messageTs: string | null;
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  expiresAt: Date;
  createdAt: Date;
}

export type NewApproval = Pick<Approval, 'app' | 'kind' | 'deploymentId' | 'targetId' | 'baselineId' | 'requestedBy' | 'channel' | 'expiresAt'>;

export interface ApprovalStore {
  create(input: NewApproval): Promise<Approval>;
  get(id: number): Promise<Approval | undefined>;
  setMessage(id: number, channel: string, ts: string): Promise<void>;
  /** Moves a pending approval to `status`; undefined when it was no longer pending (someone else decided first). */
  close(id: number, status: Exclude<ApprovalStatus, 'pending'>, by: string | null, at: Date): Promise<Approval | undefined>;
  pending(app: string): Promise<Approval[]>;
}

/** Claims a key once: true for the first caller, false for every later one (idempotent button clicks). */
export interface ClaimStore {
  claim(key: string, by: string, at: Date): Promise<{ first: boolean; claimedBy: string; claimedAt: Date }>;
}
