import { resolve } from 'node:path';
import type Docker from 'dockerode';
import { DrizzleApprovalStore } from './adapters/db/approvals-repo.js';
import { StatusService } from './domain/status/status-service.js';
import { PostgresMigrationHistory } from './adapters/db/migration-history.js';
import { createRegistryAccess } from './compose-registry.js';
import { createRuntime, registryClientFor } from './compose-runtime.js';
import { readOnlyTraffic } from './compose-view.js';
import { DeckhandError } from './domain/errors.js';
import { loadAppsFile } from './config/apps-file.js';
import { checkRuntimeTargets, runtimeOfApp, swarmApps } from './config/runtime-target.js';
import { RollbackService } from './domain/rollback/rollback-service.js';
import { PruneService } from './domain/retention/prune-service.js';
import { DrizzleLeaseStore } from './adapters/db/locks-repo.js';
import { GitSource } from './adapters/git/git-source.js';
import { HttpHealthProbe } from './adapters/http/health-probe.js';
import { CaddyProxy, RecreateTraffic } from './adapters/proxy/caddy-proxy.js';
import { ManagedCaddy, onPath } from './adapters/proxy/managed-caddy.js';
import { ManagedCaddyProxy } from './adapters/proxy/managed-caddy-proxy.js';
import { createSecretReader } from './config/secret-reader.js';
import { primeSecrets } from './domain/secret-env.js';
import type { Env } from './config/env.js';
import { type AppCatalog, appsIn } from './domain/apps.js';
import { type StoreOptions, type StoreServices, createStoreServices } from './compose-store.js';
import { DeployService } from './domain/deploy/deploy-service.js';
import { DeployEventBus } from './domain/deploy/events.js';
import { LeaseManager } from './domain/locks/lease.js';
import { hostsOf } from './domain/deploy/endpoints.js';
import type { DeploymentStore, RegistryClient, Runtime, TrafficSwitch } from './domain/ports.js';

/** Everything: the store (compose-store.ts) plus Docker, git, the proxy and the domain services over them. */
export interface Services extends StoreServices {
  bus: DeployEventBus;
  runtime: Runtime;
  traffic: TrafficSwitch;
  /** deckhand's own Caddy, when it runs one (no DECKHAND_CADDY_ADMIN_URL, DECKHAND_PROXY not none, caddy installed). */
  managedProxy?: ManagedCaddyProxy;
  deploys: DeployService;
  rollbacks: RollbackService;
  prune: PruneService;
  /** `/deckhand status`, `deckhand status`: what serves, its health now, locks, work in progress, the rollback window. */
  status: StatusService;
  /** The registry the rollback plan and prune ask (on Swarm: through the manager's engine). */
  registry: RegistryClient;
}

export interface ComposeOptions extends StoreOptions {
  docker?: Docker;
  /** The store services, already opened for these apps (the CLI opens them while this module loads). */
  base?: StoreServices;
  /** Reads deckhand's environment for per-app secrets such as read-only database URLs (default: process.env). */
  envLookup?: (name: string) => string | undefined;
}

/** Wires adapters to domain services. The apps file is validated before anything else is touched. */
export async function createServices(options: ComposeOptions): Promise<Services> {
  const appSpecs = options.apps ?? loadAppsFile(resolve(options.configFile ?? options.env.DECKHAND_CONFIG));
  // The apps against the runtime (a swarm target, registry, proxy): refused before the database is opened.
  checkRuntimeTargets(options.env, appSpecs);
  const base = options.base ?? (await createStoreServices({ ...options, apps: appSpecs }));
  // A failure past this point (the engine refuses, a registry check) closes the database opened for it (never one a
  // caller handed in): a CLI then exits instead of waiting on an open connection.
  try {
    const { env, apps, clock, database, store, events, audit, locks, pins } = base;
    const bus = new DeployEventBus();
    const registry = await createRegistryAccess(env, appsIn(apps));
    const runtime = await createRuntime(env, apps, registry.credentials, options.docker);
    const managedProxy = chooseManagedProxy(env, apps, store, runtime);
    const traffic: TrafficSwitch = env.DECKHAND_CADDY_ADMIN_URL
      ? new CaddyProxy(env.DECKHAND_CADDY_ADMIN_URL, env.DECKHAND_PUBLIC_HOST)
      : managedProxy ?? new RecreateTraffic(env.DECKHAND_PROXY === 'none' ? 'chosen' : 'no-caddy');
    const onSwarm = swarmApps(env, appSpecs).map((app) => `"${app.name}"`);
    if (onSwarm.length > 0 && traffic.mode !== 'proxy') {
      throw new DeckhandError('config_invalid', `Apps on Swarm (${onSwarm.join(', ')}) need Caddy: set DECKHAND_CADDY_ADMIN_URL, or install caddy so deckhand runs its own (the recreate strategy cannot switch between services on every node).`);
    }
    const envLookup = options.envLookup ?? ((name: string) => process.env[name]);
    const secrets = createSecretReader(envLookup);
    // Redaction knows every secret value it can read now, before any deploy of this process reads them.
    primeSecrets(appsIn(apps), secrets);
    const leases = new LeaseManager(new DrizzleLeaseStore(database.db), clock, env.DECKHAND_LOCK_LEASE);
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
      // On Swarm the registry is asked through the manager's engine, never over HTTP from deckhand's own network.
      registry: registryClientFor(runtime, registry.client, env, appSpecs),
      migrations: new PostgresMigrationHistory(),
      envLookup,
      secrets,
    };
    const deploys = new DeployService(deps);
    const { controls } = base;
    const rollbacks = new RollbackService(deps, deploys, controls);
    const prune = new PruneService({ ...deps, pins }, deploys);
    const viewTraffic = managedProxy ? readOnlyTraffic(env, managedProxy) : traffic;
    const status = new StatusService({ ...deps, approvals: new DrizzleApprovalStore(database.db), probe: new HttpHealthProbe(1500), window: (app) => prune.rollbackWindow(app), viewTraffic });
    return { ...base, bus, runtime, traffic, managedProxy, deploys, rollbacks, prune, status, registry: deps.registry };
  } catch (error) {
    if (!options.database) await base.close().catch(() => undefined);
    throw error;
  }
}

/** deckhand's own Caddy under `<data dir>/caddy`, restoring each app's route from its current deploy. */
function chooseManagedProxy(env: Env, apps: AppCatalog, store: DeploymentStore, runtime: Runtime): ManagedCaddyProxy | undefined {
  if (env.DECKHAND_CADDY_ADMIN_URL || env.DECKHAND_PROXY === 'none') return undefined;
  const binary = onPath('caddy');
  if (!binary) return undefined;
  const routes = async () => {
    const out = [];
    for (const app of appsIn(apps)) {
      const current = await store.current(app.name);
      // A deploy made in recreate mode listens on the public port itself: there is no route to give it.
      if (!current?.upstreamPort || current.upstreamPort === app.run.port) continue;
      if (runtimeOfApp(app, env.DECKHAND_RUNTIME) === 'docker') {
        out.push({ app: app.name, publicPort: app.run.port, upstreamPort: current.upstreamPort });
        continue;
      }
      // On Swarm the route names the nodes the current version's tasks serve on (none known now: left as it is).
      const state = current.containerId ? await runtime.inspectContainer(current.containerId).catch(() => undefined) : undefined;
      const hosts = hostsOf(state?.endpoints);
      if (hosts.length > 0) out.push({ app: app.name, publicPort: app.run.port, upstreamPort: current.upstreamPort, hosts });
    }
    return out;
  };
  return new ManagedCaddyProxy(new ManagedCaddy({ dir: resolve(env.DECKHAND_DATA_DIR, 'caddy'), binary }), routes, env.DECKHAND_PUBLIC_HOST);
}
