/** The reads in flight, per owner (a bot's Slack context), by key. */
const inFlight = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * Identical reads asked while one is in flight share it: in an incident, many people type `/deploys web` at once,
 * and one query answers all of them instead of one query each (in a burst of 50, the database's work and the bot's
 * parsing of the rows were most of what delayed the acks still queued). Nothing is kept once the read settles: a
 * read asked after it answered (after a deploy's row changed, say) queries again, so an answer is never older than
 * a read that was already running when it was asked. For what is only shown, never for what a decision rests on.
 */
export function sharedRead<T>(owner: object, key: string, read: () => Promise<T>): Promise<T> {
  let reads = inFlight.get(owner);
  if (!reads) inFlight.set(owner, (reads = new Map()));
  const running = reads.get(key);
  if (running) return running as Promise<T>;
  const started = (async () => read())().finally(() => reads.delete(key));
  reads.set(key, started);
  return started;
}
