import type { Services } from '../compose.js';
import { asDeckhandError } from '../domain/errors.js';
import { OWN_ACTOR } from '../domain/own-actors.js';
import { ensureNote } from '../adapters/proxy/managed-caddy-proxy.js';
import { every } from './every.js';
import { RepeatFilter } from './repeat-filter.js';

export interface Watchdog {
  /** One pass: recover every app whose record and reality disagree; returns what it did. */
  checkNow(): Promise<string[]>;
  start(): void;
  /** Resolves once a pass that is running has ended. */
  stop(): Promise<void>;
}

/**
 * Every `intervalMs` the bot makes sure its own Caddy runs (when it manages one), then looks at each app: a serving container found dead (a Docker restart, a crash), a proxy
 * that lost its route, or a deploy left half-done is recovered (DESIGN: Docker is the truth for what runs) and
 * reported. A pass never overlaps the previous one, and an app whose deploy runs is left to that deploy.
 */
export function createWatchdog(services: Services, intervalMs: number, report: (notes: string[]) => Promise<void>, repeatMs?: number): Watchdog {
  const checkNow = async () => {
    // deckhand's own Caddy first: if it is gone or hung, start it again with every app's route before judging the apps.
    const proxy = services.managedProxy ? await services.managedProxy.ready() : undefined;
    const notes = await services.deploys.reconcile(OWN_ACTOR.watchdog);
    const restarted = proxy === undefined ? undefined : ensureNote(proxy);
    return restarted ? [restarted, ...notes] : notes;
  };
  // A problem that holds pass after pass is reported once (then hourly), not every pass; stdout has every pass.
  const repeats = new RepeatFilter(repeatMs);
  const loop = every(
    intervalMs,
    async () => {
      const notes = await checkNow();
      const { report: fresh, quiet } = repeats.sort(notes);
      if (quiet.length > 0) process.stdout.write(`deckhand: watchdog: ${quiet.length} note(s) as reported before: ${quiet.join('; ')}\n`);
      if (fresh.length > 0) await report(fresh);
    },
    (error) => process.stderr.write(`deckhand: watchdog: ${asDeckhandError(error).message}\n`),
  );
  return { checkNow, start: loop.start, stop: loop.stop };
}
