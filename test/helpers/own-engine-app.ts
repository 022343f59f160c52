import type Docker from 'dockerode';
import { afterAll, beforeAll, expect } from 'vitest';
import type { AppSpec } from '../../src/domain/apps.js';
import { type CaddyProcess, startCaddy } from './caddy.js';
import { type TestRepo, type Version, createTestRepo } from './git-repo.js';
import { type OwnDockerd, startOwnDockerd } from './own-dockerd.js';
import { freePort } from './ports.js';
import { type TestServices, createTestServices, gitApp } from './services.js';

/** One app on a Docker engine of the suite's own (fault suites stop, freeze or fill it). Filled in beforeAll. */
export interface OwnEngineApp {
  engine: OwnDockerd;
  repo: TestRepo;
  services: TestServices;
  /** The app's public port. */
  port: number;
  /** A Caddy of the suite's own, when asked for (`caddy: true`): the app deploys through it. */
  caddy?: CaddyProcess;
}

export interface OwnEngineAppOptions {
  app: string;
  versions: Version[];
  /** The engine's options (a small data root for disk-full suites). */
  engine?: { dataRootSize?: string };
  /** The app's run settings over gitApp's (a longer health window …). */
  run?: Partial<AppSpec['run']>;
  /** deckhand's env beside DOCKER_SOCKET (DECKHAND_DRAIN, DECKHAND_DOCKER_TIMEOUT …). */
  env?: Record<string, string>;
  caddy?: boolean;
  /**
   * The Docker client deckhand uses, made once the engine runs (a logging socket in front of it): its socket goes into
   * DOCKER_SOCKET too, and its `stop` runs once the services are disposed. Default: the engine's own socket.
   */
  docker?: (engine: OwnDockerd) => Promise<{ docker: Docker; socketPath: string; stop?(): Promise<void> }>;
  /** How many of the repo's first commits are deployed (and must succeed) before the tests: the version that serves. */
  deployed?: number;
  /** Runs first in afterAll (let a frozen engine go on, stop a logging socket's holds …). */
  beforeTeardown?: (h: OwnEngineApp) => void | Promise<void>;
}

/** Starts the engine, the repo and the services before the suite's tests, and tears them down after (60 s each way). */
export function useOwnEngineApp(options: OwnEngineAppOptions): OwnEngineApp {
  const h = {} as OwnEngineApp;
  let client: Awaited<ReturnType<NonNullable<OwnEngineAppOptions['docker']>>> | undefined;
  beforeAll(async () => {
    h.engine = await startOwnDockerd(options.engine);
    h.repo = createTestRepo(options.versions);
    h.port = await freePort();
    if (options.caddy) h.caddy = await startCaddy();
    client = await options.docker?.(h.engine);
    h.services = await createTestServices({
      apps: [gitApp(options.app, h.repo.url, h.port, options.run)],
      caddyAdminUrl: h.caddy?.adminUrl,
      docker: client?.docker,
      env: { DOCKER_SOCKET: client?.socketPath ?? h.engine.socket, ...options.env },
    });
    for (const ref of h.repo.commits.slice(0, options.deployed ?? 0)) {
      const deployed = await h.services.deploys.deploy({ app: options.app, ref, actor: 'U-ops', trigger: 'cli' });
      expect(deployed.status, `${deployed.errorCode}: ${deployed.error}`).toBe('succeeded');
    }
  }, (options.deployed ?? 0) > 0 ? 120_000 : 60_000);
  afterAll(async () => {
    await options.beforeTeardown?.(h);
    await h.services?.dispose();
    await client?.stop?.();
    await h.caddy?.stop();
    await h.engine?.dispose();
    h.repo?.cleanup();
  }, 60_000);
  return h;
}
