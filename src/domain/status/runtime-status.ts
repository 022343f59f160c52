import type { AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import { type Serving, isWeb, whatServes } from '../deploy/serving.js';
import { asDeckhandError } from '../errors.js';
import type { ContainerState, HealthProbe, Runtime, TrafficSwitch } from '../ports.js';
import { healthJudge } from '../runtime-health.js';
import type { HealthNow } from './status-service.js';

/**
 * What runs for an app, seen from the runtime and the proxy alone: what `deckhand status` can still say when the
 * database cannot be read (it is down, or its disk is full). Which deploy serves comes from the containers' labels;
 * history, locks and approvals live in the database and are not known.
 */
export interface RuntimeStatus {
  app: string;
  checkedAt: Date;
  mode: TrafficSwitch['mode'];
  /** The web containers that serve now (empty when none does, or when it could not be told: see `health.note`). */
  serving: Array<Pick<ContainerState, 'name' | 'running' | 'status' | 'restartCount' | 'deploymentId' | 'port'>>;
  health: HealthNow;
}

export interface RuntimeStatusDeps {
  runtime: Runtime;
  /** Read only: asked where traffic goes, never changed. */
  traffic: TrafficSwitch;
  probe: HealthProbe;
  clock: Clock;
}

/** The store's failures after which a status is still read from the runtime and the proxy alone. */
export const STORE_UNREADABLE: ReadonlySet<string> = new Set(['database_unavailable', 'disk_full']);

const noDatabase = { get: () => Promise.reject(new Error('the database cannot be read')) };
const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}${text.endsWith('.') ? '' : '.'}`;

/** One app: its serving containers by their labels and the proxy's route, and a probe of its public port (and upstream). */
export async function runtimeStatus(deps: RuntimeStatusDeps, app: AppSpec): Promise<RuntimeStatus> {
  const { runtime, traffic, clock } = deps;
  let containers: ContainerState[] = [];
  let serving: Serving | undefined;
  let note: string | undefined;
  try {
    containers = await runtime.listContainers(app.name);
    serving = await whatServes({ runtime, traffic, store: noDatabase }, app, containers);
    if (!serving.known) note = sentence(serving.reason);
  } catch (error) {
    note = `Docker did not answer: ${asDeckhandError(error).message}`;
  }
  const known = serving?.known ? serving : undefined;
  const web = containers.filter((c) => isWeb(c) && known?.containerIds.has(c.id)).sort((a, b) => (b.deploymentId ?? 0) - (a.deploymentId ?? 0));
  const upstream = known?.port ?? null;
  const probes = await probeHealth(deps, app, upstream);
  const first = web[0];
  const container = first ? { name: first.name, running: first.running, status: first.status, restartCount: first.restartCount, exitCode: first.exitCode } : null;
  const servingNow = web.map((c) => ({ name: c.name, running: c.running, status: c.status, restartCount: c.restartCount, deploymentId: c.deploymentId, port: c.port }));
  const state: HealthNow['state'] = probes[0]!.ok ? 'healthy' : known && web.length === 0 ? 'down' : 'unhealthy';
  if (state === 'down') note ??= upstream === null && traffic.mode === 'proxy' ? 'The proxy has no route for it.' : 'No container of it runs.';
  return { app: app.name, checkedAt: clock.now(), mode: traffic.mode, serving: servingNow, health: { state, probes, container, ...(note ? { note } : {}) } };
}

/**
 * The app's health path through its public port, and behind the proxy at the upstream port too (where the proxy
 * sends, or the serving deploy's), so on-call sees where it broke. A runtime that judges health itself runs the
 * upstream on other nodes (Swarm): 127.0.0.1 would say nothing true there, so it is not probed.
 */
export async function probeHealth(deps: Pick<RuntimeStatusDeps, 'runtime' | 'traffic' | 'probe'>, app: AppSpec, upstream: number | null): Promise<HealthNow['probes']> {
  const probes: HealthNow['probes'] = [];
  const check = async (where: 'public' | 'upstream', port: number) => {
    const url = `http://127.0.0.1:${port}${app.run.health}`;
    probes.push({ where, url, ...(await deps.probe.probe(url)) });
  };
  await check('public', app.run.port);
  if (deps.traffic.mode === 'proxy' && !healthJudge(deps.runtime, app.name) && upstream !== null && upstream !== app.run.port) await check('upstream', upstream);
  return probes;
}
