import type { Services } from '../compose.js';
import type { Io } from './output.js';

export interface CommandContext {
  io: Io;
  services: Services;
  json: boolean;
  actor: string;
  /** Asks a yes/no question; undefined when nobody can answer (no terminal). */
  confirm: (question: string) => Promise<boolean | undefined>;
}

export interface ParsedOptions {
  json: boolean;
  image?: string;
  limit?: string;
  yes: boolean;
  force: boolean;
  /** rollback: run the app's release command too. */
  release?: boolean;
  message?: string;
  /** prune: plan only. */
  dryRun: boolean;
  /** prune: one app only. */
  app?: string;
}
