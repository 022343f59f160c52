import type Docker from 'dockerode';
import { Dockerode } from './adapters/docker/dockerode.js';
import { DockerRuntime } from './adapters/docker/docker-runtime.js';
import { DockerCalls } from './adapters/docker/docker-calls.js';
import type { CredentialsFor } from './adapters/registry/docker-auth.js';
import { RuntimeRouter, repositoryOf } from './adapters/runtime-router.js';
import { SwarmRuntime, type SwarmTarget } from './adapters/swarm/swarm-runtime.js';
import type { RegistryAuth } from './adapters/swarm/swarm-api.js';
import type { Env } from './config/env.js';
import { type RuntimeName, registryHostOf, runtimeOfApp, swarmApps } from './config/runtime-target.js';
import { type AppCatalog, type AppSpec, appsIn } from './domain/apps.js';
import { DeckhandError, asDeckhandError } from './domain/errors.js';
import { parseImageRef } from './domain/refs/image-ref.js';
import type { RegistryClient, Runtime } from './domain/ports.js';

/**
 * The runtime deckhand drives. Each app runs where its `target` says, else on DECKHAND_RUNTIME (default docker):
 * all apps on one runtime get that runtime itself; apps on both get a RuntimeRouter over the two. Both talk to the
 * ONE engine of DOCKER_SOCKET/DOCKER_HOST, which must be a Swarm manager when any app is on Swarm (asked here). On
 * Swarm the registry credentials of the Swarm apps' registry host are resolved now, so every service create and
 * scale carries them to the nodes that pull. (The apps were checked by checkRuntimeTargets before the database opened.)
 */
export async function createRuntime(env: Env, apps: AppCatalog, credentials: CredentialsFor, docker?: Docker): Promise<Runtime> {
  const specs = appsIn(apps);
  const client = docker ?? new Dockerode(env.DOCKER_SOCKET ? { socketPath: env.DOCKER_SOCKET } : undefined);
  const runtimeOf = new Map(specs.map((app) => [app.name, runtimeOfApp(app, env.DECKHAND_RUNTIME)]));
  const used = new Set<RuntimeName>(runtimeOf.size > 0 ? runtimeOf.values() : [env.DECKHAND_RUNTIME]);
  const host = () => new DockerRuntime(client, { timeoutMs: env.DECKHAND_DOCKER_TIMEOUT, registryAuth: credentials, ...(env.DECKHAND_PORT_RANGE ? { portRange: env.DECKHAND_PORT_RANGE } : {}) });
  if (!used.has('swarm')) return host();
  const onSwarm = specs.filter((app) => runtimeOf.get(app.name) === 'swarm');
  await checkSwarmManager(client, onSwarm, env.DECKHAND_DOCKER_TIMEOUT);
  const registryAuth = await swarmRegistryAuth(onSwarm, credentials);
  const swarm = new SwarmRuntime(client, {
    ...(registryAuth ? { registryAuth } : {}),
    target: (name) => {
      const app = apps.get(name);
      return app ? swarmTarget(app) : undefined;
    },
    timeoutMs: env.DECKHAND_DOCKER_TIMEOUT,
    nodeEngines: env.DECKHAND_SWARM_NODE_ENGINES,
  });
  if (!used.has('docker')) return swarm;
  return new RuntimeRouter({
    runtimes: new Map<string, Runtime>([['docker', host()], ['swarm', swarm]]),
    runtimeOf: (name) => runtimeOf.get(name),
    images: 'docker',
    appOfRepository: appOfRepository(specs, runtimeOf),
  });
}

/**
 * The registry the rollback plan and prune ask. With apps on Swarm, whether an image is there is asked through the
 * manager's engine (never over HTTP from deckhand's own network, see engine-registry.ts) for the Swarm apps' registry
 * host; the Docker host's apps keep the HTTP client. Deletion (prune) is HTTP either way.
 */
export function registryClientFor(runtime: Runtime, http: RegistryClient, env: Pick<Env, 'DECKHAND_RUNTIME'>, specs: AppSpec[]): RegistryClient {
  if (runtime instanceof SwarmRuntime) return runtime.registryClient(http);
  const swarm = runtime instanceof RuntimeRouter ? runtime.named('swarm') : undefined;
  if (!(swarm instanceof SwarmRuntime)) return http;
  const engine = swarm.registryClient(http);
  const hosts = new Set(swarmApps(env, specs).map(registryHostOf));
  const hostOf = (ref: string) => {
    try {
      return parseImageRef(ref).domain;
    } catch {
      return undefined;
    }
  };
  return { has: (ref) => (hosts.has(hostOf(ref)) ? engine : http).has(ref), delete: (ref) => http.delete(ref) };
}

/**
 * The app a repository belongs to (its `registry:` or `image:`), so a push or pull goes with that app's runtime;
 * undefined when none does, or when apps on different runtimes share it (then either runtime does the same: one engine).
 */
function appOfRepository(specs: AppSpec[], runtimeOf: Map<string, RuntimeName>): (repository: string) => string | undefined {
  const byRepository = new Map<string, string[]>();
  for (const app of specs) {
    const refs = [app.registry, app.source.kind === 'image' ? app.source.image : undefined].filter((r): r is string => Boolean(r));
    for (const ref of refs) byRepository.set(repositoryOf(ref), [...(byRepository.get(repositoryOf(ref)) ?? []), app.name]);
  }
  return (repository) => {
    const names = byRepository.get(repository) ?? [];
    return new Set(names.map((n) => runtimeOf.get(n))).size === 1 ? names[0] : undefined;
  };
}

/**
 * Apps on Swarm need the engine to be a Swarm manager: one that answers otherwise refuses the start, naming the apps.
 * An engine that does not answer is not judged (deploys then fail with docker_unavailable, as on one host).
 */
async function checkSwarmManager(client: Docker, onSwarm: AppSpec[], timeoutMs: number): Promise<void> {
  const calls = new DockerCalls(client, timeoutMs);
  let info: { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  try {
    info = await calls.call('ask whether the engine is a Swarm manager', (abortSignal) => (client.info as (options: object) => Promise<typeof info>).call(client, { abortSignal }));
  } catch {
    return;
  }
  if (info.Swarm?.ControlAvailable) return;
  const names = onSwarm.map((app) => `"${app.name}"`).join(', ');
  const state = info.Swarm?.LocalNodeState === 'active' ? 'a Swarm worker' : 'not in a Swarm';
  throw new DeckhandError(
    'config_invalid',
    `Apps ${names} run on Swarm (target: swarm, or DECKHAND_RUNTIME=swarm), but the Docker engine at ${calls.where} is ${state}: point DOCKER_SOCKET/DOCKER_HOST at a Swarm manager, or give those apps target: docker.`,
    { apps: onSwarm.map((app) => app.name) },
  );
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
