import { DeckhandError, type ErrorCode } from '../../domain/errors.js';
import { forkEntry } from './fork-entry.js';
import type { CreatedStore } from './pglite-open.js';

/** What the creating process tells its parent, once. */
export type CreateMessage = { ok: true; pid: number; peakMb: number } | { ok: false; pid: number; code: ErrorCode; message: string };

/** How long creating a new store may take (a few seconds on any disk that works). */
export const CREATE_TIMEOUT_MS = 120_000;

/**
 * Creates and migrates a new store at `dir` in a short-lived child process (src/store-create-main.ts). Creating a
 * store runs initdb inside PGlite's WebAssembly, whose memory a process never gives back: the bot's store process
 * would idle at several hundred MB more after a first start than after any later one. The child exits once the store
 * is written, and is killed after `timeoutMs`; its failure is told with the child's own code and sentence (a full
 * disk stays `disk_full`). The child stops when this process goes away mid-creation; the half-made directory is
 * removed by the next owner.
 */
export function createStoreApart(dir: string, migrationsFolder: string, timeoutMs = CREATE_TIMEOUT_MS): Promise<CreatedStore> {
  return new Promise((resolve, reject) => {
    const child = forkEntry('store-create-main', [dir, migrationsFolder]);
    let told: CreateMessage | undefined;
    let overdue = false;
    // Bounded time: a creation that hangs (a stuck disk, a stopped process) is killed, and the start fails saying so.
    const timer = setTimeout(() => {
      overdue = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message: CreateMessage) => (told ??= message));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new DeckhandError('database_unavailable', `Could not start the process that creates the embedded store: ${error.message}`, {}, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (told?.ok && code === 0) return resolve({ pid: told.pid, peakMb: told.peakMb });
      if (told && !told.ok) return reject(new DeckhandError(told.code, told.message, { creatorPid: told.pid }));
      if (overdue) return reject(new DeckhandError('database_unavailable', `Creating the embedded store at ${dir} took over ${timeoutMs / 1000} s, so it was stopped (pid ${child.pid}). Nothing was changed; check that disk (is it full, slow or read-only?) and start again.`));
      reject(new DeckhandError('database_unavailable', `The process creating the embedded store at ${dir} stopped before it finished (${signal ?? `exit ${code}`}).`));
    });
  });
}
