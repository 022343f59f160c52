import type { AppSpec } from '../apps.js';
import { asDeckhandError } from '../errors.js';
import { cleanLogLine } from '../log-text.js';
import { appRedactor } from '../redact.js';
import { type DeployEvent, LogTail, type Phase } from './events.js';
import type { PipelineDeps } from './pipeline-types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type PipelineEvent = DistributiveOmit<DeployEvent, 'deploymentId' | 'app' | 'at'>;

/**
 * Everything that leaves a deploy's pipeline goes through here: redacted first, then to the event bus (the thread,
 * the CLI) and, except build log lines, to the deploy's event rows, written in order. The last lines of the build
 * and container logs are kept for a failed deploy.
 */
export class PipelineOutput {
  readonly buildLog: LogTail;
  /** Knows the app's secret values once they are read (see `secretsRead`). */
  redact: (text: string) => string;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: Pick<PipelineDeps, 'bus' | 'events' | 'clock' | 'settings'>,
    private readonly app: AppSpec,
    private readonly deploymentId: number,
  ) {
    this.buildLog = new LogTail(deps.settings.logTailLines);
    this.redact = appRedactor(app);
  }

  /** The secret values were read: the redactor learns them. */
  secretsRead(): void {
    this.redact = appRedactor(this.app);
  }

  emit(event: PipelineEvent): void {
    const full = { ...event, deploymentId: this.deploymentId, app: this.app.name, at: this.deps.clock.now() } as DeployEvent;
    this.deps.bus.emit(full);
    if (full.type !== 'log') {
      // Event rows are written in order; a failed write must not fail the deploy.
      this.pending = this.pending.then(() => this.deps.events.append(full)).catch((error) => {
        process.emitWarning(`deckhand: could not record a deploy event: ${asDeckhandError(error).message}`);
      });
    }
  }

  phase = (phase: Phase, message: string): void => {
    this.emit({ type: 'phase', phase, message: this.redact(message) });
  };

  log = (raw: string): void => {
    const line = this.redact(cleanLogLine(raw));
    this.buildLog.push(line);
    this.emit({ type: 'log', line });
  };

  /** Resolves once every event row asked for so far was written (or failed). */
  settled(): Promise<unknown> {
    return this.pending;
  }
}
