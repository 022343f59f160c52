import type { NodeEngineEndpoint } from '../../config/node-engines.js';
import type { NodeLossPolicy } from './service-health.js';
import type { HealthArgv, HealthTiming, SwarmTarget } from './service-spec.js';
import type { RegistryAuth } from './swarm-api.js';

/** How a SwarmRuntime runs apps on its cluster (compose-runtime.ts builds it from the environment and deckhand.yml). */
export interface SwarmRuntimeOptions {
  /** Sent as X-Registry-Auth on push, service create and update: the manager hands it to every node that pulls. */
  registryAuth?: RegistryAuth;
  /** Per app `target: { swarm: … }`; absent or undefined for an app: `defaultTarget`. */
  target?: (app: string) => SwarmTarget | undefined;
  /** Default 1 replica, no constraints, health path `/`. */
  defaultTarget?: SwarmTarget;
  /** The web task's HEALTHCHECK argv (default: busybox wget against 127.0.0.1:<port><path>). */
  healthArgv?: HealthArgv;
  /** Default: every 1 s, 2 s timeout, 3 retries, 10 s start period. */
  health?: Partial<HealthTiming>;
  /** Restarts of a failed task per slot before Swarm gives up (default 3). */
  maxRestarts?: number;
  /** Time a task gets after SIGTERM when scaled down or removed (default 10 s). */
  stopGraceMs?: number;
  /** Bound on each Docker call (default 15 s). */
  timeoutMs?: number;
  /** Task polling interval of waitHealthy and runOnce (default 500 ms). */
  pollMs?: number;
  /** New failed tasks after which waitHealthy gives up (default: the replica count, at least 3). */
  maxTaskFailures?: number;
  nodeLoss?: NodeLossPolicy;
  /** Env of every app task from Swarm templates, e.g. `{ DECKHAND_NODE: '{{.Node.Hostname}}' }` (app env stays literal). */
  templateEnv?: Record<string, string>;
  /** The other nodes' own engines (DECKHAND_SWARM_NODE_ENGINES), for retention to remove pruned images there. */
  nodeEngines?: Map<string, NodeEngineEndpoint>;
  /** Ports handed out by freePort (default 20000–29999). */
  portRange?: { from: number; to: number };
}

export const DEFAULT_HEALTH: HealthTiming = { intervalMs: 1000, timeoutMs: 2000, retries: 3, startPeriodMs: 10_000 };
