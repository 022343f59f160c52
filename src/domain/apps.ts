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
    env: Record<string, string>;
    /** Run once in a one-off container of the new image before traffic moves (e.g. migrations); an argv array. */
    release?: string[];
  };
  /** Who may deploy / roll back: Slack user ids (U…, W…) and user group ids (S…). Absent: everyone. */
  access?: { deploy?: string[]; rollback?: string[] };
  /** When a deploy or rollback needs someone else's approval. */
  approval?: ApprovalPolicy;
  /** Image retention (keep the last N successful deploys or the last D days, whichever keeps more). */
  retention?: { keepLast: number; keepDays: number };
  /** Registry repository images are pushed to after each deploy, e.g. `127.0.0.1:5000/hello`. */
  registry?: string;
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

export function catalogOf(apps: AppSpec[]): AppCatalog {
  const byName = new Map(apps.map((app) => [app.name, app]));
  return {
    names: () => [...byName.keys()].sort(),
    get: (name) => byName.get(name),
  };
}
