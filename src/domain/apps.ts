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
    env: Record<string, string>;
  };
  migrations: { paths: string[] };
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
