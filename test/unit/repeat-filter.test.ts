import { describe, expect, it } from 'vitest';
import { RepeatFilter } from '../../src/jobs/repeat-filter.js';

describe('the watchdog says a standing problem once', () => {
  it('new notes pass; the same note again within the hour does not; after an hour, or once it cleared, it does', () => {
    let now = 0;
    const filter = new RepeatFilter(60 * 60_000, () => now);
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual(['web: could not reconcile: Caddy refused the switch']);
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch', 'api: started it again'])).toEqual({ report: ['api: started it again'], quiet: ['web: could not reconcile: Caddy refused the switch'] });
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual([]);
    now += 60 * 60_000;
    // An hour on, a reminder that says how often it was met meanwhile (the two quiet passes before and this one).
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual(['web: could not reconcile: Caddy refused the switch (still so: 3 more passes met it since it was last reported, 61 min ago)']);
    // It cleared for a pass, then came back: said again at once.
    expect(filter.sort([]).report).toEqual([]);
    now += 15_000;
    expect(filter.sort(['web: could not reconcile: Caddy refused the switch']).report).toEqual(['web: could not reconcile: Caddy refused the switch']);
    // The same note twice in one pass is said once.
    expect(new RepeatFilter().sort(['a', 'a']).report).toEqual(['a']);
  });
});
