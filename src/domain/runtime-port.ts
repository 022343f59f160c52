// The container runtime deckhand drives (one Docker host, a Swarm), as the domain sees it; ports.ts re-exports it.
import type { ContainerSettings } from './apps.js';
import type { Layer } from './retention/layers.js';
import type { NodeImageRemoval, Placement } from './placement/placement.js';

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
   * Called once the container exists (created, not started), before anything else is asked of it; the container
   * starts once the promise it returns settles. Recreate stops the old container only then (to free the public port),
   * so a container that cannot be created stops nothing. A runtime that creates nothing ahead calls it first. When the
   * promise rejects, nothing is left behind and its error is thrown.
   */
  created?: () => Promise<unknown>;
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
