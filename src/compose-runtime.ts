import Docker from 'dockerode';
import { DockerRuntime } from './adapters/docker/docker-runtime.js';
import type { CredentialsFor } from './adapters/registry/docker-auth.js';
import { SwarmRuntime, type SwarmTarget } from './adapters/swarm/swarm-runtime.js';
import type { RegistryAuth } from './adapters/swarm/swarm-api.js';
import type { Env } from './config/env.js';
import { registryHostOf } from './config/runtime-target.js';
import type { AppCatalog, AppSpec } from './domain/apps.js';
import { DeckhandError, asDeckhandError } from './domain/errors.js';
import type { Runtime } from './domain/ports.js';

/**
 * The runtime deckhand drives (DECKHAND_RUNTIME): one Docker host, or a Swarm through a manager's API (the apps
 * were checked against it by checkRuntimeTargets before the database opened). On Swarm the registry credentials of the apps' registry
 * host are resolved now, so every service create and scale carries them to the nodes that pull.
 */
export async function createRuntime(env: Env, apps: AppCatalog, credentials: CredentialsFor, docker?: Docker): Promise<Runtime> {
  const specs = apps.names().map((name) => apps.get(name)!);
  const client = docker ?? new Docker(env.DOCKER_SOCKET ? { socketPath: env.DOCKER_SOCKET } : undefined);
  if (env.DECKHAND_RUNTIME === 'docker') return new DockerRuntime(client, { timeoutMs: env.DECKHAND_DOCKER_TIMEOUT, registryAuth: credentials });
  const registryAuth = await swarmRegistryAuth(specs, credentials);
  return new SwarmRuntime(client, {
    ...(registryAuth ? { registryAuth } : {}),
    target: (name) => {
      const app = apps.get(name);
      return app ? swarmTarget(app) : undefined;
    },
    timeoutMs: env.DECKHAND_DOCKER_TIMEOUT,
    nodeEngines: env.DECKHAND_SWARM_NODE_ENGINES,
  });
}

/** What the Swarm runtime places for an app: its `target.swarm` (default 1 task), health path, processes, stop grace. */
export function swarmTarget(app: AppSpec): SwarmTarget {
  const swarm = app.target?.swarm;
  const processReplicas = Object.fromEntries((app.processes ?? []).map((p) => [p.name, p.replicas]));
  return {
    replicas: swarm?.replicas ?? 1,
    constraints: swarm?.constraints ?? [],
    healthPath: app.run.health,
    ...(Object.keys(processReplicas).length > 0 ? { processReplicas } : {}),
    ...(app.run.stopTimeoutMs !== undefined ? { stopGraceMs: app.run.stopTimeoutMs } : {}),
    ...(swarm?.healthcheck ? { healthArgv: healthcheckArgv(swarm.healthcheck) } : {}),
  };
}

/** An app's `target.swarm.healthcheck` as a HEALTHCHECK (`CMD` form, no shell), `{url}` and `{port}` filled in. */
export const healthcheckArgv = (argv: string[]) => (port: number, path: string) => [
  'CMD',
  ...argv.map((item) => item.replaceAll('{url}', `http://127.0.0.1:${port}${path}`).replaceAll('{port}', String(port))),
];

/** The basic-auth credentials of the (one) registry host the apps push to; undefined: anonymous. */
async function swarmRegistryAuth(apps: AppSpec[], credentials: CredentialsFor): Promise<RegistryAuth | undefined> {
  const host = apps.map(registryHostOf).find((h): h is string => Boolean(h));
  if (!host) return undefined;
  let found;
  try {
    found = await credentials(host);
  } catch (error) {
    throw new DeckhandError('config_invalid', `Could not read the credentials for the registry ${host}: ${asDeckhandError(error).message}`, { host }, { cause: error });
  }
  if (found.username && found.password) return { username: found.username, password: found.password, serveraddress: host };
  if (found.identityToken) {
    throw new DeckhandError('config_invalid', `The credentials for ${host} (from ${found.source}) are an identity token; the Swarm runtime passes a username and password to the nodes: give them in DECKHAND_REGISTRY_AUTH`, { host });
  }
  return undefined;
}
