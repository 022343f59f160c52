import type { AppSpec, ContainerSettings, SecretRef } from './apps.js';
import type { Deployment, DeploymentPatch, NewDeployment } from './deployment.js';
import type { DeployEvent } from './deploy/events.js';
import type { Layer } from './retention/layers.js';
import type { NodeImageRemoval, Placement } from './placement/placement.js';

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
  /** Commits reachable from `to` and not from `from` (`git log from..to`), newest first: the first `limit`, and how many in all. */
  commitsBetween(app: AppSpec, from: string, to: string, limit: number): Promise<{ commits: CommitSummary[]; total: number }>;
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

export interface BuildRequest {
  app: string;
  deploymentId: number;
  commit: string;
  imageRef: string;
  dockerfile: string;
  context: NodeJS.ReadableStream;
  onLog: (line: string) => void;
  /** Aborting it kills the build (and its git archive). */
  signal?: AbortSignal;
}

/** A one-off container: the release phase. Host networking, the app's env, removed when it ends. */
export interface RunOnceRequest {
  app: string;
  deploymentId: number;
  image: string;
  argv: string[];
  env: Record<string, string>;
  /** The app's volumes, user and limits (its `command` is replaced by `argv`). */
  settings?: ContainerSettings;
  onLog: (line: string) => void;
  /** Aborting it kills and removes the container. */
  signal?: AbortSignal;
}

export interface ImageInfo {
  id: string;
  refs: string[];
  sizeBytes: number;
  createdAt: Date | null;
}

export interface StartRequest {
  app: string;
  deploymentId: number;
  image: string;
  /** The web container's port (set as PORT and labelled deckhand.port); null for a process container. */
  port: number | null;
  env: Record<string, string>;
  labels?: Record<string, string>;
  /** `web` (the default) or a process name; labelled `deckhand.process`. */
  process?: string;
  /** 1-based replica number of a process container; labelled `deckhand.replica`. */
  replica?: number;
  settings?: ContainerSettings;
  /**
   * Start only once this settles (recreate: the old container stopping, which frees the port); the container may be
   * created meanwhile. When it rejects, nothing is left behind and its error is thrown.
   */
  ready?: Promise<unknown>;
}

/** Where a started version answers: one per task on a cluster; on one Docker host, 127.0.0.1 and its port. */
export interface Endpoint {
  host: string;
  port: number;
}

/** A runtime that judges health itself (a cluster's task healthchecks): what it saw, attempt by attempt. */
export interface RuntimeHealthWait {
  timeoutMs: number;
  signal?: AbortSignal;
  onAttempt: (attempt: number, ok: boolean, detail: string) => void;
  /** What changed on the cluster while waiting: a node went away or came back, a task failed or moved. */
  onNotice?: (message: string) => void;
}

/** `note`: a healthy version serving on fewer nodes than asked, and why ("node n3 went away: completed on n1, n2"). */
export type RuntimeHealth = { ok: true; endpoints: Endpoint[]; note?: string } | { ok: false; reason: string };

export interface ContainerState {
  id: string;
  name: string;
  running: boolean;
  exitCode: number | null;
  deploymentId: number | null;
  /** The port the container listens on (label `deckhand.port`), when deckhand started it. */
  port: number | null;
  /** `web`, or the process it runs (label `deckhand.process`); absent means web (containers from before processes). */
  process?: string;
  /** Replica number of a process container (label `deckhand.replica`). */
  replica?: number | null;
  /** Docker's word for the state; `restarting` means it exited and its restart policy is bringing it back. */
  status?: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  /** How often the restart policy restarted it (known from an inspect; a new container starts at 0). */
  restartCount?: number;
  /** Where it answers, when the runtime knows better than 127.0.0.1:port (a service's tasks on cluster nodes). */
  endpoints?: Endpoint[];
}

/** The Docker engine, seen from the domain. */
export interface Runtime {
  build(request: BuildRequest): Promise<{ imageId: string }>;
  /** Tags the image as `ref` and pushes it to its registry. */
  push(imageId: string, ref: string, onLog: (line: string) => void): Promise<void>;
  /** Makes the image available locally; pulls when missing (or always, per policy). Returns its id. */
  ensureImage(ref: string, pull: 'missing' | 'always', onLog: (line: string) => void): Promise<{ imageId: string }>;
  inspectImage(idOrRef: string): Promise<ImageInfo | undefined>;
  /** Images deckhand built for an app (labelled deckhand.app). */
  listImages(app: string): Promise<ImageInfo[]>;
  /** The image's layers with sizes, bottom first, named by chain so a shared layer compares equal; undefined when gone. */
  imageLayers(id: string): Promise<Layer[] | undefined>;
  /** Every image on the host (top-level ids), whoever made it: they keep shared layers alive. */
  listImageIds(): Promise<string[]>;
  /** Removes an image with all its tags; false when it was already gone. */
  removeImage(id: string): Promise<boolean>;
  start(request: StartRequest): Promise<ContainerState>;
  /** Runs `argv` once in a new container of the image, streaming its output; resolves its exit code. */
  runOnce(request: RunOnceRequest): Promise<{ exitCode: number }>;
  inspectContainer(id: string): Promise<ContainerState | undefined>;
  /** Deckhand's containers for an app, running or stopped. */
  listContainers(app: string): Promise<ContainerState[]>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). */
  stop(id: string, graceMs?: number): Promise<void>;
  restart(id: string): Promise<void>;
  /** Runs `argv` inside a running container (a process's health command); its exit code and last output lines. */
  exec(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string[] }>;
  remove(id: string): Promise<void>;
  logsTail(id: string, lines: number): Promise<string[]>;
  /**
   * A free TCP port for the app's next version (on one Docker host: a free host port; on Swarm: one no service
   * declares). The app tells a router of several runtimes which one to ask; a single runtime may ignore it.
   */
  freePort(app?: string): Promise<number>;
  /**
   * Cluster runtimes: waits until every task of the version runs and passes its healthcheck, and says where they
   * answer. Absent (one Docker host): deckhand probes the health path on 127.0.0.1 itself.
   */
  waitHealthy?(id: string, wait: RuntimeHealthWait): Promise<RuntimeHealth>;
  /**
   * Whether `waitHealthy` judges this app's health (a router of several runtimes answers per app: only a Swarm app's
   * runtime does). Absent: it does whenever `waitHealthy` exists. Ask through `healthJudge` (domain/runtime-health.ts).
   */
  judgesHealth?(app: string): boolean;
  /** Cluster runtimes: the version's tasks node by node, for `status`. Absent on one Docker host. */
  placement?(id: string): Promise<Placement | undefined>;
  /** Cluster runtimes: removes a pruned image from the other nodes' engines (those deckhand was given). */
  removeNodeImages?(imageId: string, app: string): Promise<NodeImageRemoval | undefined>;
}

/** Reads a secret env value at deploy time. Throws an Error whose message says why, never quoting a value. */
export interface SecretReader {
  read(ref: SecretRef): string;
}

export interface HealthProbe {
  probe(url: string): Promise<{ ok: boolean; detail: string }>;
}

/** Moves user traffic. `proxy`: the public port is a proxy route swapped atomically. `recreate`: no proxy. */
export interface TrafficSwitch {
  readonly mode: 'proxy' | 'recreate';
  /**
   * Points the app's public port at the upstream port (proxy mode only), on `hosts` (the nodes a cluster runtime
   * runs the version on; default 127.0.0.1).
   */
  point(app: string, publicPort: number, upstreamPort: number, hosts?: string[]): Promise<void>;
  /** Host settings that would make a switch less than seamless, in words for the operator. */
  warnings?(): Promise<string[]>;
  /**
   * Proxy mode: the upstream port the app's public port sends traffic to right now; `null` when the proxy has no
   * route for the app. Throws when the proxy cannot be asked (then nothing can be known to be safe to remove).
   */
  upstream?(app: string): Promise<number | null>;
  /** Proxy mode: how many responses the app's public port gave so far, and how many were 5xx (the proxy's own counters). */
  responses?(app: string): Promise<ResponseCounts>;
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
