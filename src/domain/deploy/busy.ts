import { type LeaseManager, appLeaseName, holderLabel } from '../locks/lease.js';
import { OWN_ACTOR } from '../own-actors.js';

/** What deckhand itself takes an app's lease for, by the label it takes it under. */
const OWN_WORK: Record<string, string> = {
  [OWN_ACTOR.watchdog]: "deckhand's watchdog is repairing it (a repair waits for requests still open on a version it stops, up to the app's stop timeout)",
  [OWN_ACTOR.boot]: 'deckhand is checking what runs after its start',
  [OWN_ACTOR.schedule]: 'the nightly prune is reading its images',
};

/**
 * Why an app's lease is held when no deploy of it is in flight: deckhand's own work (recovery, which may wait for
 * requests still open on a version it retires; the nightly prune's scan), or a deploy, rollback or prune that has not
 * written its row yet. Not "a deploy is already running": none is.
 */
export async function busyMessage(leases: Pick<LeaseManager, 'holder'>, app: string): Promise<string> {
  const held = await leases.holder(appLeaseName(app)).catch(() => undefined);
  const by = held ? holderLabel(held.holder) : undefined;
  const what = (by !== undefined ? OWN_WORK[by] : undefined) ?? `a deploy, rollback, recovery or prune of it is starting${by ? ` (by ${by})` : ''}`;
  return `${app} is busy: ${what}. Wait a few seconds, then retry.`;
}
