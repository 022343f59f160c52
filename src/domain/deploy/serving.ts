import type { AppSpec } from '../apps.js';
import type { ContainerState, DeploymentStore, Runtime, TrafficSwitch } from '../ports.js';

export interface ServingDeps {
  runtime: Runtime;
  traffic: TrafficSwitch;
  store: DeploymentStore;
}

/**
 * What answers the app's users right now. `known: false` means it could not be established (the proxy or the
 * database did not answer): then every running container must be treated as serving.
 */
export type Serving =
  | {
      known: true;
      containerIds: ReadonlySet<string>;
      port: number | null;
      /** Releases whose web container serves: their process containers are part of what runs. */
      deploymentIds?: ReadonlySet<number>;
      /** Running containers on a port the proxy lists behind `port` (the previous version through a watch window). */
      behindIds?: ReadonlySet<string>;
      /** Those ports. */
      behindPorts?: readonly number[];
    }
  | { known: false; reason: string };

/**
 * Proxy mode: the running container that listens on the proxy's upstream port (the `deckhand.port` label, or for
 * containers started before that label existed, the port recorded with their deployment: the one question for the
 * store). Recreate mode: the running containers of the app, which listen on the public port themselves.
 */
export async function whatServes(deps: Omit<ServingDeps, 'store'> & { store: Pick<DeploymentStore, 'get'> }, app: AppSpec, known?: ContainerState[]): Promise<Serving> {
  let containers: ContainerState[];
  try {
    containers = (known ?? (await deps.runtime.listContainers(app.name))).filter((c) => c.running && isWeb(c));
  } catch (error) {
    return { known: false, reason: `Docker did not list ${app.name}'s containers: ${(error as Error).message}` };
  }
  if (deps.traffic.mode !== 'proxy' || !deps.traffic.upstream) {
    return withReleases({ known: true, containerIds: new Set(containers.map((c) => c.id)), port: app.run.port }, containers);
  }
  let ports: number[];
  try {
    ports = await listedPorts(deps.traffic, app.name);
  } catch (error) {
    return { known: false, reason: `the proxy did not say where ${app.name}'s traffic goes: ${(error as Error).message}` };
  }
  if (ports.length === 0) return { known: true, containerIds: new Set(), port: null };
  const [port, ...behind] = ports as [number, ...number[]];
  const ids = new Set<string>();
  const behindIds = new Set<string>();
  for (const container of containers) {
    let listens = container.port;
    if (listens === null && container.deploymentId !== null) {
      try {
        listens = (await deps.store.get(container.deploymentId))?.upstreamPort ?? null;
      } catch (error) {
        return { known: false, reason: `the database did not say which port ${container.name} listens on: ${(error as Error).message}` };
      }
    }
    if (listens === port) ids.add(container.id);
    else if (listens !== null && behind.includes(listens)) behindIds.add(container.id);
  }
  return withReleases({ known: true, containerIds: ids, port, ...(behind.length > 0 ? { behindIds, behindPorts: behind } : {}) }, containers);
}

/**
 * Proxy mode: every upstream port the proxy lists for the app, the one it sends to first at the head ([] with no
 * route; TrafficSwitch.upstreams, or the one `upstream` of a switch that lists one). Throws when it cannot be asked.
 */
export async function listedPorts(traffic: TrafficSwitch, app: string): Promise<number[]> {
  if (traffic.upstreams) return traffic.upstreams(app);
  const port = traffic.upstream ? await traffic.upstream(app) : null;
  return port === null ? [] : [port];
}

function withReleases(serving: Extract<Serving, { known: true }>, web: ContainerState[]): Serving {
  const releases = new Set(web.filter((c) => serving.containerIds.has(c.id) && c.deploymentId !== null).map((c) => c.deploymentId!));
  return { ...serving, deploymentIds: releases };
}

/** The HTTP container of a release (containers from before processes carry no process label: web). */
export function isWeb(container: Pick<ContainerState, 'process'>): boolean {
  return (container.process ?? 'web') === 'web';
}

/**
 * True when the container may be stopped or removed: it does not run, or it is known not to serve traffic now, is
 * not listed behind what serves, and is not a process container of the release that serves (no container of the
 * running release is ever touched).
 */
export function safeToTouch(serving: Serving, container: Pick<ContainerState, 'id' | 'running'> & Partial<Pick<ContainerState, 'deploymentId' | 'process'>>): boolean {
  if (!container.running) return true;
  if (!serving.known || serving.containerIds.has(container.id) || serving.behindIds?.has(container.id)) return false;
  return !(container.deploymentId != null && !isWeb(container) && serving.deploymentIds?.has(container.deploymentId));
}
