/**
 * The last `capacity` lines of a log in a ring: a push is O(1) whatever the size (no shifting), the tail for a
 * message reads only the lines it shows. `touched` counts every line written or read, so tests can see the work per
 * line without a clock.
 */
export class LogRing {
  private readonly slots: string[] = [];
  private start = 0;
  /** Lines pushed out by newer ones. */
  dropped = 0;
  /** Lines written or read so far (instrumentation: a constant per pushed line, plus what each render reads). */
  touched = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a log ring holds at least one line (got ${capacity})`);
  }

  /** Lines held now (at most `capacity`). */
  get length(): number {
    return this.slots.length;
  }

  /** Every line ever pushed, dropped ones included. */
  get total(): number {
    return this.slots.length + this.dropped;
  }

  push(line: string): void {
    this.touched += 1;
    if (this.slots.length < this.capacity) {
      this.slots.push(line);
      return;
    }
    this.slots[this.start] = line;
    this.start = (this.start + 1) % this.capacity;
    this.dropped += 1;
  }

  /** The i-th held line, oldest first. */
  at(i: number): string | undefined {
    if (i < 0 || i >= this.slots.length) return undefined;
    this.touched += 1;
    return this.slots[(this.start + i) % this.slots.length];
  }

  /** The last `n` held lines, oldest first. */
  tail(n: number): string[] {
    const count = Math.max(0, Math.min(n, this.slots.length));
    const out: string[] = [];
    for (let i = this.slots.length - count; i < this.slots.length; i += 1) out.push(this.at(i)!);
    return out;
  }

  /** Every held line, oldest first (for the failure upload, once). */
  toArray(): string[] {
    return this.tail(this.slots.length);
  }

  /** True when the held lines end with `lines`, in order. */
  endsWith(lines: string[]): boolean {
    if (lines.length > this.slots.length) return false;
    const from = this.slots.length - lines.length;
    return lines.every((line, i) => this.at(from + i) === line);
  }
}
