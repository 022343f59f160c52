import { resolve } from 'node:path';
import { DrizzleAppLockStore } from './adapters/db/app-locks-repo.js';
import { DrizzleAuditStore } from './adapters/db/audit-repo.js';
import { type Database, openDatabase } from './adapters/db/client.js';
import { DrizzleDeploymentStore } from './adapters/db/deployments-repo.js';
import { DrizzleDeploymentEventStore } from './adapters/db/events-repo.js';
import { DrizzlePinStore } from './adapters/db/pins-repo.js';
import { loadAppsFile } from './config/apps-file.js';
import type { Env } from './config/env.js';
import { type AppCatalog, type AppSpec, catalogOf, requireApp } from './domain/apps.js';
import { type Clock, systemClock } from './domain/clock.js';
import { AppControls } from './domain/locks/app-controls.js';
import type { AppLockStore, AuditStore, DeploymentEventStore, DeploymentStore, PinStore } from './domain/ports.js';

/**
 * What the read-only and bookkeeping commands need (`deploys`, `audit`, `lock`, `unlock`, `pin`, `unpin`): the apps
 * file and the store. No Docker, git, proxy or HTTP client is built or even imported: see compose.ts for the rest.
 */
export interface StoreServices {
  env: Env;
  apps: AppCatalog;
  clock: Clock;
  database: Database;
  store: DeploymentStore;
  events: DeploymentEventStore;
  audit: AuditStore;
  locks: AppLockStore;
  pins: PinStore;
  controls: AppControls;
  /** The app named so, or `unknown_app` naming the apps there are. */
  requireApp(name: string): AppSpec;
  close(): Promise<void>;
}

export interface StoreOptions {
  env: Env;
  /** Overrides DECKHAND_CONFIG. */
  configFile?: string;
  /** Apps given directly (tests); skips the file. */
  apps?: AppSpec[];
  clock?: Clock;
  /** An already open database (tests with in-memory PGlite). */
  database?: Database;
  /** Postgres: connections opened at once (OpenOptions.connections). */
  connections?: number;
}

/** The apps file (validated before anything else is touched), then the database and its stores. */
export async function createStoreServices(options: StoreOptions): Promise<StoreServices> {
  const { env } = options;
  const apps = catalogOf(options.apps ?? loadAppsFile(resolve(options.configFile ?? env.DECKHAND_CONFIG)));
  const clock = options.clock ?? systemClock;
  const database = options.database ?? await openDatabase({ url: env.DATABASE_URL, dataDir: resolve(env.DECKHAND_DATA_DIR, 'db'), connections: options.connections });
  const store = new DrizzleDeploymentStore(database.db);
  const audit = new DrizzleAuditStore(database.db);
  const locks = new DrizzleAppLockStore(database.db);
  const pins = new DrizzlePinStore(database.db);
  return {
    env,
    apps,
    clock,
    database,
    store,
    events: new DrizzleDeploymentEventStore(database.db),
    audit,
    locks,
    pins,
    controls: new AppControls({ locks, pins, store, audit, clock }),
    requireApp: (name) => requireApp(apps, name),
    close: () => database.close(),
  };
}
