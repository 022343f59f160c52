import { resolve } from 'node:path';
import Docker from 'dockerode';
import { DrizzleAppLockStore } from './adapters/db/app-locks-repo.js';
import { DrizzleAuditStore } from './adapters/db/audit-repo.js';
import { DrizzleApprovalStore } from './adapters/db/approvals-repo.js';
import { StatusService } from './domain/status/status-service.js';
import { PostgresMigrationHistory } from './adapters/db/migration-history.js';
import { HttpRegistryClient } from './adapters/http/registry-client.js';
import { RollbackService } from './domain/rollback/rollback-service.js';
import { PruneService } from './domain/retention/prune-service.js';
import { DrizzlePinStore } from './adapters/db/pins-repo.js';
import { AppControls } from './domain/locks/app-controls.js';
import { type Database, openDatabase } from './adapters/db/client.js';
import { DrizzleDeploymentStore } from './adapters/db/deployments-repo.js';
import { DrizzleDeploymentEventStore } from './adapters/db/events-repo.js';
import { DrizzleLeaseStore } from './adapters/db/locks-repo.js';
import { DockerRuntime } from './adapters/docker/docker-runtime.js';
import { GitSource } from './adapters/git/git-source.js';
import { HttpHealthProbe } from './adapters/http/health-probe.js';
import { CaddyProxy, RecreateTraffic } from './adapters/proxy/caddy-proxy.js';
import { ManagedCaddy, onPath } from './adapters/proxy/managed-caddy.js';
import { ManagedCaddyProxy } from './adapters/proxy/managed-caddy-proxy.js';
import { loadAppsFile } from './config/apps-file.js';
import { createSecretReader } from './config/secret-reader.js';
import { primeSecrets } from './domain/secret-env.js';
import type { Env } from './config/env.js';
import { type AppCatalog, type AppSpec, catalogOf } from './domain/apps.js';
import { type Clock, systemClock } from './domain/clock.js';
import { DeployService } from './domain/deploy/deploy-service.js';
import { DeployEventBus } from './domain/deploy/events.js';
import { LeaseManager } from './domain/locks/lease.js';
import type { AppLockStore, AuditStore, PinStore, DeploymentEventStore, DeploymentStore, Runtime, TrafficSwitch } from './domain/ports.js';

export interface Services {
  env: Env;
  apps: AppCatalog;
  database: Database;
  store: DeploymentStore;
  events: DeploymentEventStore;
  audit: AuditStore;
  bus: DeployEventBus;
  runtime: Runtime;
  traffic: TrafficSwitch;
  /** deckhand's own Caddy, when it runs one (no DECKHAND_CADDY_ADMIN_URL, DECKHAND_PROXY not none, caddy installed). */
  managedProxy?: ManagedCaddyProxy;
  locks: AppLockStore;
  deploys: DeployService;
  rollbacks: RollbackService;
  pins: PinStore;
  controls: AppControls;
  prune: PruneService;
  /** `/deckhand status`, `deckhand status`: what serves, its health now, locks, work in progress, the rollback window. */
  status: StatusService;
  close(): Promise<void>;
}

export interface ComposeOptions {
  env: Env;
  /** Overrides DECKHAND_CONFIG. */
  configFile?: string;
  /** Apps given directly (tests); skips the file. */
  apps?: AppSpec[];
  clock?: Clock;
  docker?: Docker;
  /** Reads deckhand's environment for per-app secrets such as read-only database URLs (default: process.env). */
  envLookup?: (name: string) => string | undefined;
  /** An already open database (tests with in-memory PGlite). */
  database?: Database;
}

/** Wires adapters to domain services. The apps file is validated before anything else is touched. */
export async function createServices(options: ComposeOptions): Promise<Services> {
  const { env } = options;
  const apps = catalogOf(options.apps ?? loadAppsFile(resolve(options.configFile ?? env.DECKHAND_CONFIG)));
  const clock = options.clock ?? systemClock;
  const database = options.database ?? await openDatabase({ url: env.DATABASE_URL, dataDir: resolve(env.DECKHAND_DATA_DIR, 'db') });
  const store = new DrizzleDeploymentStore(database.db);
  const events = new DrizzleDeploymentEventStore(database.db);
  const audit = new DrizzleAuditStore(database.db);
  const bus = new DeployEventBus();
  const runtime = new DockerRuntime(options.docker ?? new Docker(env.DOCKER_SOCKET ? { socketPath: env.DOCKER_SOCKET } : undefined), { timeoutMs: env.DECKHAND_DOCKER_TIMEOUT });
  const managedProxy = chooseManagedProxy(env, apps, store);
  const traffic: TrafficSwitch = env.DECKHAND_CADDY_ADMIN_URL
    ? new CaddyProxy(env.DECKHAND_CADDY_ADMIN_URL, env.DECKHAND_PUBLIC_HOST)
    : managedProxy ?? new RecreateTraffic(env.DECKHAND_PROXY === 'none' ? 'chosen' : 'no-caddy');
  const envLookup = options.envLookup ?? ((name: string) => process.env[name]);
  const secrets = createSecretReader(envLookup);
  // Redaction knows every secret value it can read now, before any deploy of this process reads them.
  primeSecrets(apps.names().map((name) => apps.get(name)!), secrets);
  const leases = new LeaseManager(new DrizzleLeaseStore(database.db), clock, env.DECKHAND_LOCK_LEASE);
  const locks = new DrizzleAppLockStore(database.db);
  const deps = {
    apps,
    locks,
    store,
    events,
    audit,
    bus,
    runtime,
    traffic,
    clock,
    leases,
    source: new GitSource(resolve(env.DECKHAND_DATA_DIR)),
    health: new HttpHealthProbe(),
    settings: { drainMs: env.DECKHAND_DRAIN, logTailLines: env.DECKHAND_LOG_TAIL_LINES },
    registry: new HttpRegistryClient(),
    migrations: new PostgresMigrationHistory(),
    envLookup,
    secrets,
  };
  const deploys = new DeployService(deps);
  const pins = new DrizzlePinStore(database.db);
  const controls = new AppControls({ locks, pins, store, audit, clock });
  const rollbacks = new RollbackService(deps, deploys, controls);
  const prune = new PruneService({ ...deps, pins }, deploys);
  const status = new StatusService({ ...deps, approvals: new DrizzleApprovalStore(database.db), probe: new HttpHealthProbe(1500), window: (app) => prune.rollbackWindow(app) });
  return { env, apps, database, store, events, audit, bus, runtime, traffic, managedProxy, locks, deploys, rollbacks, pins, controls, prune, status, close: () => database.close() };
}

/** deckhand's own Caddy under `<data dir>/caddy`, restoring each app's route from its current deploy. */
function chooseManagedProxy(env: Env, apps: AppCatalog, store: DeploymentStore): ManagedCaddyProxy | undefined {
  if (env.DECKHAND_CADDY_ADMIN_URL || env.DECKHAND_PROXY === 'none') return undefined;
  const binary = onPath('caddy');
  if (!binary) return undefined;
  const routes = async () => {
    const out = [];
    for (const app of apps.names().map((name) => apps.get(name)!)) {
      const current = await store.current(app.name);
      // A deploy made in recreate mode listens on the public port itself: there is no route to give it.
      if (current?.upstreamPort && current.upstreamPort !== app.run.port) out.push({ app: app.name, publicPort: app.run.port, upstreamPort: current.upstreamPort });
    }
    return out;
  };
  return new ManagedCaddyProxy(new ManagedCaddy({ dir: resolve(env.DECKHAND_DATA_DIR, 'caddy'), binary }), routes, env.DECKHAND_PUBLIC_HOST);
}
