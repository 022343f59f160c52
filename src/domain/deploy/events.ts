import { asDeckhandError } from '../errors.js';
import type { DeploymentStatus } from '../deployment.js';

export type Phase = 'queued' | 'resolve' | 'artifact' | 'build' | 'release' | 'start' | 'health' | 'processes' | 'switch' | 'watch' | 'cleanup' | 'done' | 'nodes';

interface Base {
  deploymentId: number;
  app: string;
  at: Date;
}

export type DeployEvent = Base &
  (
    | { type: 'phase'; phase: Phase; message: string }
    | { type: 'log'; line: string }
    | { type: 'health'; attempt: number; ok: boolean; detail: string }
    | { type: 'switch'; from: number | null; to: number; mode: 'proxy' | 'recreate' }
    // `note`: a success that is less than everywhere (a cluster node went away: "completed on n1, n2").
    | { type: 'result'; status: DeploymentStatus; error: string | null; durationMs: number; logTail: string[]; note?: string }
  );

export type DeployEventListener = (event: DeployEvent) => void;

/** Fan-out of engine events to subscribers (CLI printer, DB recorder, Slack streamer). A listener that throws is isolated. */
export class DeployEventBus {
  private readonly listeners = new Set<DeployEventListener>();

  subscribe(listener: DeployEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: DeployEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`deckhand: a deploy event listener failed: ${asDeckhandError(error).message}`);
      }
    }
  }
}

/** Keeps the last `max` lines, for bounded logs in errors, the database and Slack. */
export class LogTail {
  private readonly lines: string[] = [];
  dropped = 0;

  constructor(private readonly max: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) {
      this.lines.shift();
      this.dropped += 1;
    }
  }

  get(): string[] {
    return [...this.lines];
  }
}
