import type { AppSpec } from '../domain/apps.js';
import { DeckhandError } from '../domain/errors.js';
import { parseImageRef } from '../domain/refs/image-ref.js';
import type { Env } from './env.js';

/** The registry host of an app's `registry:` repository (e.g. `10.0.0.1:5000` of `10.0.0.1:5000/hello`). */
export function registryHostOf(app: AppSpec): string | undefined {
  if (!app.registry) return undefined;
  try {
    return parseImageRef(app.registry).domain;
  } catch {
    return undefined;
  }
}

/**
 * The apps file against the runtime, checked at start before anything is touched: a `target.swarm` needs
 * DECKHAND_RUNTIME=swarm; on Swarm every app needs `registry:` (the nodes pull from it), traffic needs Caddy
 * (DECKHAND_PROXY=none would stop the old service on a port the nodes serve), a process cannot be health-checked by
 * a command (no exec into a task on another node), and the apps share one registry host (its credentials go with
 * every service). Every problem is named in one message.
 */
export function checkRuntimeTargets(env: Pick<Env, 'DECKHAND_RUNTIME' | 'DECKHAND_PROXY'>, apps: AppSpec[]): void {
  const problems: string[] = [];
  if (env.DECKHAND_RUNTIME === 'docker') {
    for (const app of apps) {
      if (app.target?.swarm) problems.push(`app "${app.name}", key target.swarm: only meaningful with DECKHAND_RUNTIME=swarm (the runtime is docker, one Docker host)`);
    }
  } else {
    if (env.DECKHAND_PROXY === 'none') problems.push('DECKHAND_PROXY=none: the Swarm runtime needs Caddy (zero-downtime switches between services on every node); unset DECKHAND_PROXY');
    for (const app of apps) {
      if (!app.registry) problems.push(`app "${app.name}": key registry is required with DECKHAND_RUNTIME=swarm (every node pulls the image from it), e.g. registry: registry.example.com/${app.name}`);
      for (const process of app.processes ?? []) {
        if (process.healthCmd) problems.push(`app "${app.name}", key processes.${process.name}.health.cmd: not supported with DECKHAND_RUNTIME=swarm (the task runs on another node); use healthyAfter`);
      }
    }
    const hosts = [...new Set(apps.map(registryHostOf).filter((h): h is string => Boolean(h)))];
    if (hosts.length > 1) problems.push(`with DECKHAND_RUNTIME=swarm every app's registry must be on one registry host for now; found ${hosts.join(', ')}`);
  }
  if (problems.length > 0) throw new DeckhandError('config_invalid', `Invalid configuration for the ${env.DECKHAND_RUNTIME} runtime:\n  ${problems.join('\n  ')}`, { issues: problems });
}
