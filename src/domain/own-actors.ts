/**
 * The actors deckhand's own work runs as: written in the audit, and the label of the app leases it takes (so a
 * refused deploy can say what holds the app: see deploy/busy.ts).
 */
export const OWN_ACTOR = {
  boot: 'deckhand:boot',
  watchdog: 'deckhand:watchdog',
  schedule: 'deckhand:schedule',
} as const;
