/**
 * What the watchdog reports, said once: a pass every 15 s that meets the same problem (Caddy refusing changes, a
 * container that will not start, or one that crashes between every pass) would otherwise post the same sentence to
 * the report channel four times a minute through an incident. A note is reported when it is new; once more on the
 * very next pass that meets it, saying that it keeps happening (a recovery that did not stick: a crash loop, a
 * refusal that holds), which a one-off restart never shows; while it holds, again once `repeatMs` has passed since
 * it was last reported, saying how many passes met it meanwhile; and anew after a pass without it (it cleared, then
 * came back).
 */
export class RepeatFilter {
  private readonly reported = new Map<string, { at: number; quiet: number; kept?: boolean }>();

  constructor(
    private readonly repeatMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Sorts the notes of one pass: `report` now (a reminder says how often it was met meanwhile), or keep `quiet` (it
   * was reported within `repeatMs`). Every note of the pass is remembered.
   */
  sort(notes: string[]): { report: string[]; quiet: string[] } {
    const at = this.now();
    const report: string[] = [];
    const quiet: string[] = [];
    const seen = new Set(notes);
    for (const note of seen) {
      const last = this.reported.get(note);
      if (last?.quiet === 0 && !last.kept) {
        Object.assign(last, { kept: true, at });
        report.push(`${note} (again on the next pass: it keeps happening; said again hourly while it does)`);
        continue;
      }
      if (last !== undefined && at - last.at < this.repeatMs) {
        last.quiet += 1;
        quiet.push(note);
        continue;
      }
      this.reported.set(note, { at, quiet: 0, kept: last !== undefined });
      report.push(last ? `${note} (still so: ${last.quiet + 1} more passes met it since it was last reported, ${minutes(at - last.at)} ago)` : note);
    }
    for (const note of [...this.reported.keys()]) if (!seen.has(note)) this.reported.delete(note);
    return { report, quiet };
  }
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
