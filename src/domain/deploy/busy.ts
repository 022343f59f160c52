import type { Deployment } from '../deployment.js';
import { type LeaseManager, appLeaseName, holderLabel } from '../locks/lease.js';
import { OWN_ACTOR } from '../own-actors.js';

/** What deckhand itself takes an app's lease for, by the label it takes it under. */
const OWN_WORK: Record<string, string> = {
  [OWN_ACTOR.watchdog]: "deckhand's watchdog is repairing it (a repair waits for requests still open on a version it stops, up to the app's stop timeout)",
  [OWN_ACTOR.boot]: 'deckhand is checking what runs after its start',
  [OWN_ACTOR.schedule]: 'the nightly prune is reading its images',
};

/**
 * Why a deploy of `app` is refused while its lease is held: the deploy in flight, else what holds the lease. That is
 * deckhand's own work (recovery, which may wait for requests still open on a version it retires; the nightly prune's
 * scan), or a deploy, rollback or prune that has not written its row yet. Not "a deploy is already running": none is.
 */
export async function busyMessage(leases: Pick<LeaseManager, 'holder'>, app: string, running?: Pick<Deployment, 'id' | 'actor'>): Promise<string> {
  if (running) return `A deploy of ${app} is already running (#${running.id}, started by ${running.actor}). Wait for it to finish, then retry.`;
  const held = await leases.holder(appLeaseName(app)).catch(() => undefined);
  const by = held ? holderLabel(held.holder) : undefined;
  const what = (by !== undefined ? OWN_WORK[by] : undefined) ?? `a deploy, rollback, recovery or prune of it is starting${by ? ` (by ${by})` : ''}`;
  return `${app} is busy: ${what}. Wait a few seconds, then retry.`;
}
