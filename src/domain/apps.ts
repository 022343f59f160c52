import { DeckhandError } from './errors.js';

/** An app as deckhand knows it once the YAML file is validated. Pure data; config/ builds it. */
export interface GitSource {
  kind: 'git';
  url: string;
  branch: string;
  dockerfile: string;
}

export interface ImageSource {
  kind: 'image';
  image: string;
  /** `missing` (docker run's default): use a local copy when present; `always`: pull before every deploy. */
  pull: 'missing' | 'always';
}

/**
 * Where a secret env value comes from, read at deploy time and never stored: deckhand's own environment
 * (`{ fromEnv: NAME }`) or a file such as a mounted secret (`{ fromFile: PATH }`, trailing newline stripped).
 */
export type SecretRef = { fromEnv: string } | { fromFile: string };

/** How a container of the app runs, beside its image: all optional, Docker's defaults otherwise. */
export interface ContainerSettings {
  /** Overrides the image's CMD (an argv array, never a shell string). */
  command?: string[];
  /** `name`, `uid` or `uid:gid`. */
  user?: string;
  /** Docker's short syntax: `name:/path`, `/host/path:/path:ro`. Named volumes carry the `deckhand.app` label. */
  volumes?: string[];
  /** Memory limit in bytes (`run.memory: 512m`). */
  memoryBytes?: number;
  /** CPU limit in CPUs (`run.cpus: 0.5`). */
  cpus?: number;
}

/**
 * A background process of the app (`processes.<name>`): more containers of the same image with their own command.
 * It has no HTTP port. Healthy when its containers keep running for `healthyAfterMs`, or, with `healthCmd`, when that
 * command exits 0 inside each container.
 */
export interface ProcessSpec {
  /** `worker`, `scheduler`, ...; never `web`, which is the HTTP container. */
  name: string;
  command: string[];
  replicas: number;
  /** Merged over `run.env` (literal values). */
  env: Record<string, string>;
  /** Merged over `run.secretEnv`. */
  secretEnv: Record<string, SecretRef>;
  healthyAfterMs: number;
  healthCmd?: string[];
}

/** The process name of the HTTP container. */
export const WEB_PROCESS = 'web';

export interface AppSpec {
  name: string;
  source: GitSource | ImageSource;
  run: {
    port: number;
    health: string;
    healthTimeoutMs: number;
    /**
     * The watch window after the switch (ms): the new container is probed and the previous one keeps running, ready
     * to take traffic back. 0 or absent: no window (the apps file defaults it to 60 s).
     */
    watchMs?: number;
    /** Literal env values (all treated as secrets by the redactor, and only hashed in the env snapshot). */
    env: Record<string, string>;
    /** Env values read at deploy time from deckhand's environment or a file: never in deckhand.yml in clear. */
    secretEnv?: Record<string, SecretRef>;
    /** Command, user, volumes and limits of the web container (processes share volumes, user and limits). */
    container?: ContainerSettings;
    /** How long a retired container gets after SIGTERM before it is killed (default 30 s). */
    stopTimeoutMs?: number;
    /** Run once in a one-off container of the new image before traffic moves (e.g. migrations); an argv array. */
    release?: string[];
  };
  /** Background processes deployed with the web container, one release for all. Absent: web only. */
  processes?: ProcessSpec[];
  /** Who may deploy / roll back: Slack user ids (U…, W…) and user group ids (S…). Absent: everyone. */
  access?: { deploy?: string[]; rollback?: string[] };
  /** When a deploy or rollback needs someone else's approval. */
  approval?: ApprovalPolicy;
  /** Image retention (keep the last N successful deploys or the last D days, whichever keeps more). */
  retention?: { keepLast: number; keepDays: number };
  /** Registry repository images are pushed to after each deploy, e.g. `127.0.0.1:5000/hello`. */
  registry?: string;
  /**
   * Where the app runs: `docker` (the Docker host) or `swarm` (tasks of its web and placement constraints), at most
   * one; absent: the global default (DECKHAND_RUNTIME).
   */
  target?: {
    docker?: true;
    swarm?: {
      replicas: number;
      constraints: string[];
      /** The web task's healthcheck argv, run inside the task; `{url}` and `{port}` are filled in. Absent: busybox wget. */
      healthcheck?: string[];
    };
  };
  migrations: {
    paths: string[];
    /** Where to read applied migrations: a deckhand env var holding a read-only URL, and the table. */
    database?: { urlEnv: string; table: string };
  };
}

export interface ApprovalPolicy {
  /** `always`, or only when requested from one of `channels` (incident channels). */
  when: 'always' | 'channels';
  channels: string[];
  /** Slack user ids and user group ids who may approve. */
  approvers: string[];
  expiryMs: number;
}

export interface AppCatalog {
  names(): string[];
  get(name: string): AppSpec | undefined;
}

/** Every app of the catalog, in its names' order. */
export function appsIn(catalog: AppCatalog): AppSpec[] {
  return catalog.names().map((name) => catalog.get(name)!);
}

export function catalogOf(apps: AppSpec[]): AppCatalog {
  const byName = new Map(apps.map((app) => [app.name, app]));
  return {
    names: () => [...byName.keys()].sort(),
    get: (name) => byName.get(name),
  };
}

/** The app named `name`, or `unknown_app` naming the apps there are. */
export function requireApp(apps: AppCatalog, name: string): AppSpec {
  const app = apps.get(name);
  if (!app) {
    const known = apps.names();
    throw new DeckhandError('unknown_app', `Unknown app "${name}". Known apps: ${known.length ? known.join(', ') : '(none configured)'}.`, { app: name, known });
  }
  return app;
}
