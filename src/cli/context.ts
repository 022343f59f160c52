import type { Services } from '../compose.js';
import type { StoreServices } from '../compose-store.js';
import type { Io } from './output.js';

/** `S`: what the command is given, the store alone (StoreServices) or everything (Services). */
export interface CommandContext<S extends StoreServices = Services> {
  io: Io;
  services: S;
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
