/**
 * Answers about commits that never change once given: a diff, a log or a count between two full SHAs is fixed by
 * the SHAs themselves (git objects are content-addressed), so a second plan of the same rollback asks git nothing.
 * Bounded (least recently used goes first); a failed read is never kept, so the next ask tries git again.
 */
export class ReadMemo {
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(private readonly limit = 512) {}

  get<T>(key: string, read: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key) as Promise<T> | undefined;
    if (known) {
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    const answer = read();
    this.entries.set(key, answer);
    answer.catch(() => {
      if (this.entries.get(key) === answer) this.entries.delete(key);
    });
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    return answer;
  }

  get size(): number {
    return this.entries.size;
  }
}
