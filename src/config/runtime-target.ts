import type { AppSpec } from '../domain/apps.js';
import { DeckhandError } from '../domain/errors.js';
import { parseImageRef } from '../domain/refs/image-ref.js';
import type { Env } from './env.js';

export type RuntimeName = Env['DECKHAND_RUNTIME'];

/** The registry host of an app's `registry:` repository (e.g. `10.0.0.1:5000` of `10.0.0.1:5000/hello`). */
export function registryHostOf(app: AppSpec): string | undefined {
  if (!app.registry) return undefined;
  try {
    return parseImageRef(app.registry).domain;
  } catch {
    return undefined;
  }
}

/** Where an app runs: its `target` (`docker` or `swarm`), else the global default DECKHAND_RUNTIME. */
export function runtimeOfApp(app: AppSpec, fallback: RuntimeName): RuntimeName {
  if (app.target?.docker) return 'docker';
  if (app.target?.swarm) return 'swarm';
  return fallback;
}

/** The apps that run on Swarm, by their target or the global default. */
export function swarmApps(env: Pick<Env, 'DECKHAND_RUNTIME'>, apps: AppSpec[]): AppSpec[] {
  return apps.filter((app) => runtimeOfApp(app, env.DECKHAND_RUNTIME) === 'swarm');
}

/**
 * The apps file against the runtimes, checked at start before anything is touched. Apps on the Docker host need
 * nothing more. Each app on Swarm needs `registry:` (the nodes pull from it) and no process `health.cmd` (no exec
 * into a task on another node); with any app on Swarm, traffic needs Caddy (DECKHAND_PROXY=none would stop the old
 * service on a port the nodes serve) and the Swarm apps share one registry host (its credentials go with every
 * service). Every problem is named in one message.
 */
export function checkRuntimeTargets(env: Pick<Env, 'DECKHAND_RUNTIME' | 'DECKHAND_PROXY'>, apps: AppSpec[]): void {
  const problems: string[] = [];
  const onSwarm = swarmApps(env, apps);
  const names = onSwarm.map((app) => `"${app.name}"`).join(', ');
  if (onSwarm.length > 0 && env.DECKHAND_PROXY === 'none') {
    problems.push(`DECKHAND_PROXY=none: apps on Swarm (${names}) need Caddy (zero-downtime switches between services on every node); unset DECKHAND_PROXY`);
  }
  for (const app of onSwarm) {
    if (!app.registry) problems.push(`app "${app.name}": key registry is required on Swarm (every node pulls the image from it), e.g. registry: registry.example.com/${app.name}`);
    for (const process of app.processes ?? []) {
      if (process.healthCmd) problems.push(`app "${app.name}", key processes.${process.name}.health.cmd: not supported on Swarm (the task runs on another node); use healthyAfter`);
    }
  }
  const hosts = [...new Set(onSwarm.map(registryHostOf).filter((h): h is string => Boolean(h)))];
  if (hosts.length > 1) problems.push(`every Swarm app's registry must be on one registry host for now (${names}); found ${hosts.join(', ')}`);
  if (problems.length > 0) throw new DeckhandError('config_invalid', `Invalid configuration for the Swarm runtime:\n  ${problems.join('\n  ')}`, { issues: problems });
}
