import { resolve } from 'node:path';
import { CaddyProxy, RecreateTraffic } from './adapters/proxy/caddy-proxy.js';
import { ManagedCaddy, onPath } from './adapters/proxy/managed-caddy.js';
import type { ManagedCaddyProxy } from './adapters/proxy/managed-caddy-proxy.js';
import { createRegistryAccess } from './compose-registry.js';
import { createRuntime } from './compose-runtime.js';
import { loadAppsFile } from './config/apps-file.js';
import { type Env, loadEnv } from './config/env.js';
import { checkRuntimeTargets } from './config/runtime-target.js';
import { type AppSpec, catalogOf } from './domain/apps.js';
import type { TrafficSwitch } from './domain/ports.js';
import { systemClock } from './domain/clock.js';
import { type RuntimeStatus, runtimeStatus } from './domain/status/runtime-status.js';
import { HttpHealthProbe } from './adapters/http/health-probe.js';

/** What `deckhand status` reads when the database cannot be read: the apps file, and what runs for each. */
export interface RuntimeView {
  apps: AppSpec[];
  /** From Docker and the proxy, read only. */
  look(app: AppSpec): Promise<RuntimeStatus>;
}

/** Built from the environment alone: no database is opened. */
export async function createRuntimeView(rawEnv: NodeJS.ProcessEnv, configFile?: string): Promise<RuntimeView> {
  const env = loadEnv(rawEnv);
  const apps = loadAppsFile(resolve(configFile ?? env.DECKHAND_CONFIG));
  checkRuntimeTargets(env, apps);
  const registry = await createRegistryAccess(env, apps);
  const deps = { runtime: await createRuntime(env, catalogOf(apps), registry.credentials), traffic: readOnlyTraffic(env), probe: new HttpHealthProbe(1500), clock: systemClock };
  return { apps, look: (app) => runtimeStatus(deps, app) };
}

/**
 * The proxy as a read-only view asks it. Deckhand's own Caddy is asked where it sends traffic and never started (its
 * switch would start it and restore routes from the database, which is what cannot be read).
 */
export function readOnlyTraffic(env: Env, managed?: ManagedCaddyProxy): TrafficSwitch {
  if (env.DECKHAND_CADDY_ADMIN_URL) return new CaddyProxy(env.DECKHAND_CADDY_ADMIN_URL, env.DECKHAND_PUBLIC_HOST);
  if (managed) return new CaddyProxy(managed.caddy.admin, env.DECKHAND_PUBLIC_HOST);
  if (env.DECKHAND_PROXY !== 'none' && onPath('caddy')) return new CaddyProxy(new ManagedCaddy({ dir: resolve(env.DECKHAND_DATA_DIR, 'caddy') }).admin, env.DECKHAND_PUBLIC_HOST);
  return new RecreateTraffic(env.DECKHAND_PROXY === 'none' ? 'chosen' : 'no-caddy');
}
