/**
 * Who may use a mirror at once, per mirror: reads of the object store share it (a plan's diff, logs and commit
 * counts run side by side), while anything that changes it (clone, fetch, the resolve that fetches first) runs
 * alone: after the reads already under way, before the ones asked for later. A failed task never blocks the next.
 */
export class MirrorLock {
  /** The last exclusive task per mirror (settled, never rejecting): what a later task waits for. */
  private readonly writers = new Map<string, Promise<unknown>>();
  /** Shared tasks under way per mirror (settled, never rejecting): what the next exclusive task waits for. */
  private readonly readers = new Map<string, Set<Promise<unknown>>>();

  shared<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (this.writers.get(key) ?? Promise.resolve()).then(task);
    const settled = run.then(() => undefined, () => undefined);
    let set = this.readers.get(key);
    if (!set) this.readers.set(key, (set = new Set()));
    set.add(settled);
    void settled.then(() => {
      set.delete(settled);
      if (set.size === 0 && this.readers.get(key) === set) this.readers.delete(key);
    });
    return run;
  }

  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = Promise.all([this.writers.get(key) ?? Promise.resolve(), ...(this.readers.get(key) ?? [])]);
    const run = before.then(task);
    const settled = run.then(() => undefined, () => undefined);
    this.writers.set(key, settled);
    void settled.then(() => {
      if (this.writers.get(key) === settled) this.writers.delete(key);
    });
    return run;
  }
}
