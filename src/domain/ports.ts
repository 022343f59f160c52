import type { AppSpec, SecretRef } from './apps.js';
import type { Deployment, DeploymentPatch, NewDeployment } from './deployment.js';
import type { DeployEvent } from './deploy/events.js';

export type * from './runtime-port.js';

/** Git, seen from the domain: a mirror per app. */
export interface SourceRepo {
  /** Fetches the app's repository and resolves `ref` (branch, tag or SHA) to a full commit SHA. */
  resolve(app: AppSpec, ref: string): Promise<{ sha: string; subject: string }>;
  /** True when `ancestor` is reachable from `descendant` (and differs from it). */
  isStrictAncestor(app: AppSpec, ancestor: string, descendant: string): Promise<boolean>;
  /** A tar stream of the tree at `sha`, the Docker build context. */
  archive(app: AppSpec, sha: string): Promise<NodeJS.ReadableStream>;
  /**
   * Whether the commit's objects are in the mirror and whether a branch or tag (as last fetched) still reaches it.
   * `fetch`: `always` (default) fetches first; `if-missing` fetches only when the mirror lacks one of the commits;
   * `never` asks the mirror alone.
   */
  commitStatus(app: AppSpec, sha: string, options?: { fetch?: CommitFetch }): Promise<{ present: boolean; reachable: boolean }>;
  /** The same for many commits after at most one fetch. */
  commitsStatus(app: AppSpec, shas: string[], options?: { fetch?: CommitFetch }): Promise<Map<string, { present: boolean; reachable: boolean }>>;
  /** Files under `paths` added, modified or renamed from `from` to `to`. */
  changedPaths(app: AppSpec, from: string, to: string, paths: string[]): Promise<string[]>;
  /** Subject and author of one commit in the mirror (no fetch). */
  commitSummary(app: AppSpec, sha: string): Promise<CommitSummary>;
  /**
   * Where two commits of the mirror stand (no fetch): both summaries, and on each side the commits the other lacks,
   * newest first (the first `limit`, and how many in all). `ahead`: `git log from..to`; `behind`: `git log to..from`.
   */
  compareCommits(app: AppSpec, from: string, to: string, limit: number): Promise<CommitComparison>;
}

export interface CommitComparison {
  from: CommitSummary;
  to: CommitSummary;
  ahead: { commits: CommitSummary[]; total: number };
  behind: { commits: CommitSummary[]; total: number };
}

/** When a commit-status question may reach the network: `if-missing` keeps a mirror that has the commits off it. */
export type CommitFetch = 'always' | 'if-missing' | 'never';

export interface CommitSummary {
  sha: string;
  subject: string;
  author: string;
}

/** An image registry reached over its HTTP API (v2). */
export interface RegistryClient {
  /** True when the registry has a manifest for `ref` (`host/name:tag`). */
  has(ref: string): Promise<boolean>;
  /** Deletes the manifest `ref` points at (by digest). False when it was already gone. */
  delete(ref: string): Promise<boolean>;
}

export interface Pin {
  app: string;
  deploymentId: number;
  pinnedBy: string;
  pinnedAt: Date;
}

export interface PinStore {
  pin(pin: Pin): Promise<void>;
  unpin(app: string, deploymentId: number): Promise<boolean>;
  list(app: string): Promise<Pin[]>;
}

export interface MigrationDatabase {
  url: string;
  table: string;
}

/** Reads an app's migrations table (read-only) for migrations applied after a time. */
export interface MigrationHistory {
  appliedSince(database: MigrationDatabase, since: Date): Promise<string[]>;
}

export interface AppLock {
  app: string;
  reason: string;
  lockedBy: string;
  lockedAt: Date;
  deploymentId: number | null;
}

export interface AppLockStore {
  get(app: string): Promise<AppLock | undefined>;
  set(lock: AppLock): Promise<void>;
  /** Returns the lock that was removed, if any. */
  clear(app: string): Promise<AppLock | undefined>;
  list(): Promise<AppLock[]>;
}

/** Reads a secret env value at deploy time. Throws an Error whose message says why, never quoting a value. */
export interface SecretReader {
  read(ref: SecretRef): string;
}

export interface HealthProbe {
  probe(url: string): Promise<{ ok: boolean; detail: string }>;
  /** True when nothing accepts connections on 127.0.0.1:`port` (refused); false when something does, or no telling. */
  refuses?(port: number): Promise<boolean>;
}

/** Moves user traffic. `proxy`: the public port is a proxy route swapped atomically. `recreate`: no proxy. */
export interface TrafficSwitch {
  readonly mode: 'proxy' | 'recreate';
  /**
   * Points the app's public port at the upstream port (proxy mode only), on `hosts` (the nodes a cluster runtime
   * runs the version on; default 127.0.0.1). `fallbackPort` (one host only): the previous version, still running
   * through the watch window, takes a request the new one cannot (it went away) at once, with no config change.
   */
  point(app: string, publicPort: number, upstreamPort: number, hosts?: string[], fallbackPort?: number): Promise<void>;
  /** Host settings that would make a switch less than seamless, in words for the operator. */
  warnings?(): Promise<string[]>;
  /**
   * Proxy mode: the upstream port the app's public port sends traffic to right now; `null` when the proxy has no
   * route for the app. Throws when the proxy cannot be asked (then nothing can be known to be safe to remove).
   */
  upstream?(app: string): Promise<number | null>;
  /**
   * Proxy mode: every upstream port the proxy lists for the app, the one it sends to first at the head (a previous
   * version listed behind the new one through its watch window follows); [] when the proxy has no route for the app.
   * Throws when the proxy cannot be asked. A container on a listed port must never be stopped: a request the first
   * upstream cannot take goes there.
   */
  upstreams?(app: string): Promise<number[]>;
  /** Proxy mode: how many responses the app's public port gave so far, and how many were 5xx (the proxy's own counters). */
  responses?(app: string): Promise<ResponseCounts>;
  /**
   * Proxy mode, one host: connections still open to an upstream port the proxy no longer routes to (requests it has
   * not finished there). 0 when it cannot tell (a proxy on another host): then only the drain's fixed wait applies.
   */
  openConnections?(upstreamPort: number): Promise<number>;
  /** What the proxy had to do by itself since last asked (its process started again), in words for the deploy's thread. */
  takeNotes?(): string[];
}

/** Monotonic counters since the proxy started; compare two readings. */
export interface ResponseCounts {
  total: number;
  errors: number;
}

export interface DeploymentStore {
  create(input: NewDeployment): Promise<Deployment>;
  update(id: number, patch: DeploymentPatch): Promise<Deployment>;
  get(id: number): Promise<Deployment | undefined>;
  list(app: string, limit: number): Promise<Deployment[]>;
  /** Every deploy of the app, newest first. */
  all(app: string): Promise<Deployment[]>;
  /** The deploy serving the app now: the last one to succeed. */
  current(app: string): Promise<Deployment | undefined>;
  /** A successful deploy of the app created after `id`, if any. */
  newerSucceeded(app: string, id: number): Promise<Deployment | undefined>;
  /** Deploys of the app that are neither queued nor finished. */
  inFlight(app: string): Promise<Deployment[]>;
}

export interface DeploymentEventStore {
  append(event: DeployEvent): Promise<void>;
  list(deploymentId: number): Promise<Array<{ at: Date; kind: string; message: string; data: unknown }>>;
}

export interface AuditEntry {
  actor: string;
  action: string;
  app: string | null;
  deploymentId?: number | null;
  targetDeploymentId?: number | null;
  result: 'ok' | 'refused' | 'failed';
  details?: Record<string, unknown>;
}

export interface AuditStore {
  record(entry: AuditEntry): Promise<void>;
  list(filter: { app?: string; action?: string; limit?: number }): Promise<Array<AuditEntry & { id: number; at: Date }>>;
}

export interface LeaseStore {
  /** Takes the lease when free or expired at `now`. True when taken. */
  tryAcquire(name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean>;
  /** Extends a lease still held by `holder`. False when it was lost. */
  renew(name: string, holder: string, expiresAt: Date): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  /** Takes the lease from `previous` (a holder known to be dead), only if it still holds it. True when taken. */
  replace(name: string, previous: string, holder: string, now: Date, expiresAt: Date): Promise<boolean>;
  holder(name: string): Promise<{ holder: string; expiresAt: Date } | undefined>;
}
