import { describe, expect, it } from 'vitest';
import { RepeatFilter } from '../../src/jobs/repeat-filter.js';

describe('the watchdog says a standing problem once', () => {
  it('new notes pass, and once more on the next pass; then not within the hour; after an hour, or once it cleared, they do', () => {
    let now = 0;
    const filter = new RepeatFilter(60 * 60_000, () => now);
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual(['web: could not reconcile: Caddy refused the switch']);
    now += 15_000;
    // Met again on the very next pass: said once more, as something that keeps happening (a one-off is said once).
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch', 'api: started it again'])).toEqual({
      report: ['web: could not reconcile: Caddy refused the switch (again on the next pass: it keeps happening; said again hourly while it does)', 'api: started it again'],
      quiet: [],
    });
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch'])).toEqual({ report: [], quiet: ['web: could not reconcile: Caddy refused the switch'] });
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual([]);
    now += 60 * 60_000;
    // An hour on, a reminder that says how often it was met meanwhile (the two quiet passes before and this one).
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual(['web: could not reconcile: Caddy refused the switch (still so: 3 more passes met it since it was last reported, 61 min ago)']);
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual([]);
    // It cleared for a pass, then came back: said again at once, and again if it holds on the next pass.
    expect(filter.sort([]).report).toEqual([]);
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual(['web: could not reconcile: Caddy refused the switch']);
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual(['web: could not reconcile: Caddy refused the switch (again on the next pass: it keeps happening; said again hourly while it does)']);
    // The same note twice in one pass is said once.
    expect(new RepeatFilter().sort(['a', 'a']).report).toEqual(['a']);
  });
});
