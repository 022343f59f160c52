/**
 * What the watchdog reports, said once: a pass every 15 s that meets the same problem (Caddy refusing changes, a
 * container that will not start) would otherwise post the same sentence to the report channel four times a minute
 * through an incident. A note is reported when it is new, again once `repeatMs` has passed since it was last
 * reported (a reminder that it still holds), and anew after a pass without it (it cleared, then came back).
 */
export class RepeatFilter {
  private readonly reported = new Map<string, number>();

  constructor(
    private readonly repeatMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The notes of one pass that should be reported now; every note of the pass is remembered. */
  fresh(notes: string[]): string[] {
    const at = this.now();
    const out: string[] = [];
    const seen = new Set(notes);
    for (const note of seen) {
      const last = this.reported.get(note);
      if (last !== undefined && at - last < this.repeatMs) continue;
      this.reported.set(note, at);
      out.push(note);
    }
    for (const note of [...this.reported.keys()]) if (!seen.has(note)) this.reported.delete(note);
    return out;
  }
}
