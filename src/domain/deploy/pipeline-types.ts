import type { Clock } from '../clock.js';
import type { AppLockStore, DeploymentEventStore, DeploymentStore, HealthProbe, Runtime, SecretReader, SourceRepo, TrafficSwitch } from '../ports.js';
import type { DeployEventBus } from './events.js';

export interface PipelineSettings {
  /** How long the old container keeps running after traffic moved, for in-flight requests. */
  drainMs: number;
  logTailLines: number;
  /** Waits between attempts to record a deploy that already serves (default RECORD_RETRY_MS). */
  recordRetryMs?: readonly number[];
}

export interface PipelineDeps {
  runtime: Runtime;
  source: SourceRepo;
  traffic: TrafficSwitch;
  health: HealthProbe;
  clock: Clock;
  store: DeploymentStore;
  events: DeploymentEventStore;
  bus: DeployEventBus;
  settings: PipelineSettings;
  /** Where a deploy that the watch window reverted locks the app. */
  locks?: AppLockStore;
  /** Reads `fromEnv`/`fromFile` env values at deploy time; an app that uses them cannot deploy without it. */
  secrets?: SecretReader;
}

export interface PipelineOptions {
  /** Aborts the deploy; during the watch window traffic goes back and the deploy ends `cancelled`. */
  signal?: AbortSignal;
  runRelease?: boolean;
}
